"""The notice PDF an e-mail carries: the Unicode notice in the payer's language (hub/notices/render.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hub.config import Settings
from hub.notices.render import render_notice_pdf
from hub.orders.payee import payee_of


def attachment_name(order_id: str) -> str:
    return f"notice-{order_id}.pdf"


def notice_attachment(conn: Connection, order: dict[str, Any], settings: Settings, language: str) -> bytes:
    """The order's notice as PDF bytes, in `language` (the payer's)."""
    return render_notice_pdf(order, settings, payee_of(conn, order, settings), language)
