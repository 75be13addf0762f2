"""A notice with no bank code to offer (no payee configured, or a currency without one): its
reference, and the counters' code that the frame adds."""

from __future__ import annotations

from hub.notices.content import Notice
from hub.notices.layouts.common import WIDTH, field
from hub.notices.layouts.common import draw
from hub.notices.page import MARGIN, Page

TITLE = "notice.title"


def payment(page: Page, notice: Notice, y: float) -> float:
    return field(page, MARGIN, y, notice.t.t("notice.reference"), notice.reference, WIDTH, bold=True) + 8


def layout(page: Page, notice: Notice) -> None:
    draw(page, notice, notice.t.t(TITLE), payment)
