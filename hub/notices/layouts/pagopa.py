"""pagoPA (Italy), after AgID's payment notice: the notice code and the creditor's fiscal code
beside pagoPA's QR, which every pagoPA channel scans."""

from __future__ import annotations

from hub.notices.content import Notice
from hub.notices.layouts.common import code_beside, draw, heading
from hub.notices.page import Page

TITLE = "notice.title_pagopa"


def payment(page: Page, notice: Notice, y: float) -> float:
    t = notice.t.t
    y = heading(page, y, t("notice.pay_pagopa"))
    return code_beside(page, y, notice.payment_code, t("notice.pay_pagopa_how"),
                       [(t("notice.notice_code"), notice.reference),
                        (t("notice.creditor_fiscal_code"), notice.creditor_fiscal_code),
                        (t("notice.iuv"), notice.order.get("iuv") or "")])


def layout(page: Page, notice: Notice) -> None:
    draw(page, notice, notice.t.t(TITLE), payment)
