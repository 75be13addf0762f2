"""An order's printable notice: kept for callers of the names it had before hub/notices/ existed.

The notice itself (PDF and PNG, in the payer's language, laid out per country) is
hub/notices/render.py's; call `render_notice_pdf` / `render_notice_png` there.  These wrappers
take the hub's settings for the creditor, the fallback payee name and the payer's language;
given only a creditor fiscal code (the older call) they write the notice in English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.config import Settings
from hub.notices.content import transfer_code
from hub.notices.render import render_notice_pdf, render_notice_png
from hub.orders.payee import Payee

__all__ = ["notice_pdf", "notice_png", "transfer_code"]


def _settings(creditor_fiscal_code: str, settings: Settings | None) -> Settings:
    return settings or Settings(database_url="", data_dir=Path("."), creditor_fiscal_code=creditor_fiscal_code)


def notice_pdf(order: dict[str, Any], creditor_fiscal_code: str = "", payee: Payee | None = None, *,
               settings: Settings | None = None) -> bytes:
    return render_notice_pdf(order, _settings(creditor_fiscal_code, settings), payee)


def notice_png(order: dict[str, Any], creditor_fiscal_code: str = "", payee: Payee | None = None, *,
               settings: Settings | None = None) -> bytes:
    return render_notice_png(order, _settings(creditor_fiscal_code, settings), payee)
