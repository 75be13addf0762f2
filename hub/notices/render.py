"""Notices to payers, as PDF and PNG: the one entry point the hub's other parts call.

    render_notice_pdf(order, settings, payee, language=None) -> bytes
    render_notice_png(order, settings, payee, language=None) -> bytes
    notice_language(order, settings) -> str

`order` is a row of the orders table (or the API's view of one); `payee` is who a bank
transfer code pays (hub/orders/payee.py `payee_of`; None: no transfer code); `language`
overrides the payer's (the order's payer_language, else [orders] language).  What the notice
says is hub/notices/content.py's, how it is laid out per kind hub/notices/layouts/, and the
writers draw the same page: pdf_writer.py, png_writer.py.
"""

from __future__ import annotations

from typing import Any

from hub.config import Settings
from hub.notices import content
from hub.notices.content import notice_language
from hub.notices.layouts import LAYOUTS
from hub.notices.page import Page
from hub.notices.pdf_writer import write_pdf
from hub.notices.png_writer import write_png
from hub.notices.typeface import face_for
from hub.orders.payee import Payee

__all__ = ["notice_language", "render_notice_pdf", "render_notice_png"]


def _page(order: dict[str, Any], settings: Settings, payee: Payee | None,
          language: str | None) -> tuple[Page, content.Notice]:
    notice = content.build(order, settings, payee, language)
    page = Page(face_for(notice.texts))
    LAYOUTS[notice.kind].layout(page, notice)
    return page, notice


def render_notice_pdf(order: dict[str, Any], settings: Settings, payee: Payee | None,
                      language: str | None = None) -> bytes:
    page, notice = _page(order, settings, payee, language)
    return write_pdf(page, title=f"{notice.t.t(LAYOUTS[notice.kind].TITLE)} {order['order_id']}")


def render_notice_png(order: dict[str, Any], settings: Settings, payee: Payee | None,
                      language: str | None = None) -> bytes:
    page, _ = _page(order, settings, payee, language)
    return write_png(page)
