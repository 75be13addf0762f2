"""The notice PDF an e-mail carries, made through one function so the renderer can change under it.

MERGE: today's English, Latin-1 `hub.orders.notice.notice_pdf`; once the notices branch
lands this calls `hub.notices.render.render_notice_pdf(order, settings, payee, language)`
(the Unicode notice in the payer's language) and nothing else here changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hub.config import Settings
from hub.orders.notice import notice_pdf
from hub.orders.payee import payee_of


def attachment_name(order_id: str) -> str:
    return f"notice-{order_id}.pdf"


def notice_attachment(conn: Connection, order: dict[str, Any], settings: Settings, language: str) -> bytes:
    """The order's notice as PDF bytes (`language`: the payer's, for the renderer that knows languages)."""
    del language     # the Latin-1 notice is English only (see MERGE above)
    return notice_pdf(order, settings.creditor_fiscal_code, payee_of(conn, order, settings))
