"""New order ids and their payable references, with correct check digits.

The order id is 'CP' + 10 random digits/letters: short enough to be the body of an
RF reference (≤ 21 characters), so RF = 'RF' + check digits + order id.  A pagoPA
notice number uses aux digit 3 with the configured segregation code and a random
13-digit IUV base; the mod-93 check digits come from protocol.ids.pagopa.
"""

from __future__ import annotations

import secrets
import string

from protocol.ids import pagopa, rf

_ALPHABET = string.digits + string.ascii_uppercase


def new_order_id() -> str:
    return "CP" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def rf_reference(order_id: str) -> str:
    return rf.generate(order_id)


def pagopa_notice(segregation_code: str) -> tuple[str, str]:
    """(notice number, IUV)."""
    base = "%013d" % secrets.randbelow(10**13)
    notice = pagopa.generate(3, base, segregation_code=segregation_code)
    return notice, pagopa.iuv(notice)
