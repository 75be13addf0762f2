"""A Polish transfer: odbiorca, the 26-digit account number (NRB, printed in groups as Polish
banks print it) and the title beside the ZBP 2D code that Polish banking apps scan."""

from __future__ import annotations

from hub.notices.content import Notice
from hub.notices.layouts.common import code_beside, draw, heading
from hub.notices.page import Page

TITLE = "notice.title"


def nrb(iban: str) -> str:
    """PL61109010140000071219812874 → '61 1090 1014 0000 0712 1981 2874'."""
    digits = iban.removeprefix("PL")
    return digits[:2] + " " + " ".join(digits[i:i + 4] for i in range(2, len(digits), 4))


def payment(page: Page, notice: Notice, y: float) -> float:
    t = notice.t.t
    y = heading(page, y, t("notice.pay_transfer"))
    return code_beside(page, y, notice.payment_code, t("notice.pay_zbp_how"),
                       [(t("notice.beneficiary"), notice.payee.name), (t("notice.account"), nrb(notice.payee.iban)),
                        (t("notice.reference"), notice.reference)])


def layout(page: Page, notice: Notice) -> None:
    draw(page, notice, notice.t.t(TITLE), payment)
