"""A SEPA credit transfer (euro countries: Latvia, Greece, Italy's RF orders): beneficiary, IBAN
and the RF reference beside the EPC QR code that banking apps scan."""

from __future__ import annotations

from hub.notices.content import Notice, account
from hub.notices.layouts.common import code_beside, draw, heading
from hub.notices.page import Page

TITLE = "notice.title"


def payment(page: Page, notice: Notice, y: float) -> float:
    t = notice.t.t
    y = heading(page, y, t("notice.pay_transfer"))
    return code_beside(page, y, notice.payment_code, t("notice.pay_epc_how"),
                       [(t("notice.beneficiary"), notice.payee.name), (t("notice.account"), account(notice.payee)),
                        (t("notice.reference"), notice.reference)])


def layout(page: Page, notice: Notice) -> None:
    draw(page, notice, notice.t.t(TITLE), payment)
