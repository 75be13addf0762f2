"""One layout per kind of notice (hub/notices/content.py KINDS): each draws its payment section
into the frame every notice shares (common.py)."""

from __future__ import annotations

from hub.notices.layouts import pagopa, plain, sepa, zbp

LAYOUTS = {"pagopa": pagopa, "sepa": sepa, "zbp": zbp, "plain": plain}
