"""A payment's receipt as a PDF, from what the hub keeps of the payment (its row and the body
the agent, or reconciliation, sent): the receipt number, when, how and how much was paid, for
which order, the card's masked number and authorisation code where a card paid, and the fee
positions.  Set in the notices' DejaVu Sans (hub/notices/typeface.py) and written by their PDF
writer, so Latvian, Polish and Greek names print exactly; texts from the console's catalogues
(`selfservice.receipt.*`), money and dates the language's way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.notices.page import A4, MARGIN, Page
from hub.notices.pdf_writer import write_pdf
from hub.notices.typeface import face_for
from hub.selfservice.lookup import printed
from hub.web.i18n import catalogue, format_date, format_money

WIDTH = A4[0] - 2 * MARGIN
LABEL, VALUE = 8.0, 11.0


def _when(value: str | None, language: str) -> str:
    try:
        moment = dt.datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return value or ""
    return format_date(moment.astimezone(dt.timezone.utc).replace(tzinfo=None), language) + " UTC"


def receipt_lines(payment: dict[str, Any], order: dict[str, Any], language: str) -> list[tuple[str, str]]:
    """The receipt's labelled values, in order (an empty value is left out)."""
    t = catalogue(language).t
    body = payment.get("body") or {}
    card = body.get("card") or {}
    sign = -1 if payment["kind"] == "refund" else 1
    lines = [
        (t("selfservice.receipt.number"), payment["receipt_id"]),
        (t("selfservice.receipt.date"), _when(payment["captured_at"], language)),
        (t("selfservice.receipt.amount"), format_money(sign * payment["amount_minor"], payment["currency"], language)),
        (t("selfservice.receipt.channel"), t(f"selfservice.channel.{payment['channel']}")),
        (t("selfservice.receipt.tender"), t(f"selfservice.tender.{payment['tender']}")
         if payment["channel"] == "counter" else ""),
        (t("selfservice.receipt.card"), " ".join(v for v in (card.get("card_type"), card.get("masked_pan")) if v)),
        (t("selfservice.receipt.auth_code"), card.get("auth_code") or ""),
        (t("selfservice.receipt.office"), payment["office"]),
        (t("selfservice.receipt.order"), order["order_id"]),
        (t("selfservice.receipt.reference"), printed(order) if order.get("reference_format") else order["reference"]),
        (t("selfservice.receipt.payer"), order.get("payer_name") or ""),
        (t("selfservice.receipt.payer_id"), order.get("payer_id") or ""),
        (t("selfservice.receipt.subject"), order.get("description") or ""),
    ]
    if payment.get("voided_at"):
        lines.append((t("selfservice.receipt.voided"), _when(payment["voided_at"], language)))
    return [(label, value) for label, value in lines if value]


def render_receipt_pdf(payment: dict[str, Any], order: dict[str, Any], creditor: str, language: str) -> bytes:
    t = catalogue(language).t
    lines = receipt_lines(payment, order, language)
    positions = [(p.get("name") or p.get("code") or "", p.get("quantity", 1),
                  format_money(p.get("quantity", 1) * p.get("unit_minor", 0), payment["currency"], language))
                 for p in (payment.get("body") or {}).get("positions") or []]
    title = t("selfservice.receipt.title")
    texts = [title, creditor, *(f"{label} {value}" for label, value in lines),
             *(f"{name} {amount}" for name, _, amount in positions)]
    page = Page(face_for(texts))
    y = MARGIN + 20
    page.text(MARGIN, y, title, 19, bold=True)
    y += 24
    if creditor:
        page.text(MARGIN, y, creditor, 13, bold=True)
        y += 22
    page.rule(MARGIN, y, WIDTH, 1.2)
    y += 20
    for label, value in lines:
        page.text(MARGIN, y, label.upper(), LABEL)
        y = page.paragraph(MARGIN + 170, y, value, WIDTH - 170, VALUE) + 6
    if positions:
        y += 8
        page.rule(MARGIN, y, WIDTH, 0.6)
        y += 16
        page.text(MARGIN, y, t("selfservice.receipt.positions").upper(), LABEL)
        y += 16
        for name, quantity, amount in positions:
            label = f"{quantity} × {name}" if quantity != 1 else name
            page.text(MARGIN, y, label, VALUE)
            page.right(MARGIN + WIDTH, y, amount, VALUE)
            y += VALUE * 1.5
    page.rule(MARGIN, A4[1] - MARGIN - 14, WIDTH, 0.4)
    page.text(MARGIN, A4[1] - MARGIN, t("selfservice.receipt.footer"), 8.5)
    return write_pdf(page, title=f"{title} {payment['receipt_id']}")
