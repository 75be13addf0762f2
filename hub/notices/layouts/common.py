"""The frame every notice shares, top to bottom: title; creditor and addressee side by side;
what and when to pay on a shaded band; the subject; the kind's payment section (its layout
module draws it); our signed code for the counters and cash points; a closing line.

Sizes in points on A4.  A QR code is at least 34 mm wide: EPC and pagoPA codes of this length
scan from paper at that size with any phone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from hub.notices.content import Notice
from hub.notices.page import A4, MARGIN, Page
from protocol.qr.image import make_qr

WIDTH = A4[0] - 2 * MARGIN
COLUMN = WIDTH / 2 - 10
CODE = 112.0            # a QR code's square, quiet zone included (39.5 mm)
LABEL, VALUE, SMALL = 8.0, 11.0, 8.5


@lru_cache(maxsize=512)
def modules(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules, its quiet zone of 4 included.  Encoding is still the largest part of
    a notice's time: an order's PDF and PNG, or a notice shown and then mailed, encode it once."""
    matrix = make_qr(payload).matrix
    quiet = (False,) * 4
    light = ((False,) * (len(matrix[0]) + 8),) * 4
    return light + tuple(quiet + tuple(map(bool, row)) + quiet for row in matrix) + light


def field(page: Page, x: float, y: float, label: str, value: str, width: float = COLUMN, *,
          size: float = VALUE, bold: bool = False) -> float:
    """A label over its value (wrapped); returns the baseline below it."""
    if not value:
        return y
    page.text(x, y, label.upper(), LABEL)
    return page.paragraph(x, y + size * 1.35, value, width, size, bold=bold) + 4


def heading(page: Page, y: float, text: str) -> float:
    page.rule(MARGIN, y, WIDTH, 1.2)
    page.text(MARGIN, y + 16, text, 12.5, bold=True)
    return y + 34


def code_beside(page: Page, y: float, payload: str | None, how: str, lines: list[tuple[str, str]]) -> float:
    """Explanations and labelled values on the left, the QR code on the right; returns y below both."""
    text_width = WIDTH - CODE - 16
    bottom = y
    for label, value in lines:
        bottom = field(page, MARGIN, bottom, label, value, text_width, bold=True)
    bottom = page.paragraph(MARGIN, bottom + 2, how, text_width, SMALL)
    if payload:
        page.code(MARGIN + WIDTH - CODE, y - 12, CODE, modules(payload))
        bottom = max(bottom, y - 12 + CODE)
    return bottom + 14


def draw(page: Page, notice: Notice, title: str, payment: Callable[[Page, Notice, float], float]) -> None:
    t, order = notice.t.t, notice.order
    y = MARGIN + 20
    page.text(MARGIN, y, title, 19, bold=True)
    y += 14
    left = right = y + 14
    left = field(page, MARGIN, left, t("notice.creditor"), notice.creditor_name, bold=True)
    if notice.kind == "pagopa":
        left = field(page, MARGIN, left, t("notice.creditor_fiscal_code"), notice.creditor_fiscal_code)
    x = MARGIN + WIDTH / 2 + 10
    right = field(page, x, right, t("notice.payer"), order.get("payer_name") or "", bold=True)
    right = field(page, x, right, t("notice.payer_id"), order.get("payer_id") or "")
    if order.get("payer_address"):
        right = page.paragraph(x, right, order["payer_address"], COLUMN, VALUE) + 4
    y = max(left, right) + 6
    page.box(MARGIN, y, WIDTH, 58)
    page.text(MARGIN + 10, y + 15, t("notice.what_when").upper(), LABEL)
    page.text(MARGIN + 10, y + 42, notice.amount, 20, bold=True)
    page.text(MARGIN + WIDTH / 2 + 10, y + 29, t("notice.due"), SMALL)
    page.text(MARGIN + WIDTH / 2 + 10, y + 45, notice.due, 13, bold=True)
    y += 58 + 18
    y = field(page, MARGIN, y, t("notice.subject"), order.get("description") or "", WIDTH)
    y = field(page, MARGIN, y, t("notice.case"), order.get("case_ref") or "", WIDTH)
    y = payment(page, notice, y + 4)
    if notice.counter_code:
        y = heading(page, y, t("notice.pay_counter"))
        y = code_beside(page, y, notice.counter_code, t("notice.pay_counter_how"),
                        [(t("notice.order"), order["order_id"])])
    page.rule(MARGIN, A4[1] - MARGIN - 14, WIDTH, 0.4)
    page.text(MARGIN, A4[1] - MARGIN, f"{t('notice.keep')}  ·  {t('notice.order')} {order['order_id']}", SMALL)
