"""A printable payment order notice, as PDF (fpdf2) and PNG (pillow), with its QR codes (segno).

Every notice has our signed order code; a pagoPA order also pagoPA's code; and where the
notice has a payee (hub/orders/payee.py: the order's bank account, else the configured one)
a bank transfer code: EPC's for a euro order with an RF reference, ZBP's for a złoty order
into a Polish account.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from hub.orders.payee import Payee
from hub.orders.qr import pagopa_qr
from protocol.domain import ReferenceFormat
from protocol.ids import iban, pagopa, rf
from protocol.money import Money
from protocol.qr import epc, zbp
from protocol.qr.base import QrFormatError
from protocol.qr.image import make_png


def _lines(order: dict[str, Any], payee: Payee | None = None) -> list[tuple[str, str]]:
    amount = (Money(order["amount_minor"], order["currency"]).format() + " " + order["currency"]
              if order["amount_minor"] is not None else "open amount")
    reference = (rf.format(order["reference"]) if order["reference_format"] == ReferenceFormat.RF
                 else pagopa.format(order["reference"]))
    lines = [("Order", order["order_id"]), ("Amount", amount),
             ("Reference", reference)]
    if order.get("iuv"):
        lines.append(("IUV", order["iuv"]))
    if payee is not None:
        lines.append(("Pay into", iban.format(payee.iban) + (f" ({payee.name})" if payee.name else "")))
    for label, key in (("Case", "case_ref"), ("Payer", "payer_name"), ("Payer id", "payer_id"),
                       ("Due date", "due_date"), ("For", "description")):
        if order.get(key):
            lines.append((label, str(order[key])))
    return lines


def _qr_png(payload: str, scale: int) -> bytes:
    if epc.detect(payload):
        return make_png(payload, scale)      # in its declared character set, at EPC's error level M
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def transfer_code(order: dict[str, Any], payee: Payee | None) -> str | None:
    """The bank transfer QR for paying `order` into `payee`'s account, or None where none fits."""
    if payee is None or not payee.name:
        return None
    amount = order["amount_minor"] if order["amount_kind"] == "fixed" else None
    try:
        if order["currency"] == "EUR" and order["reference_format"] == ReferenceFormat.RF:
            return epc.make(payee.name[:epc.LIMITS["name"]], payee.iban, amount, reference=order["reference"])
        if order["currency"] == "PLN" and payee.iban.startswith("PL"):
            # ZBP's amount has 6 digits: a larger amount gets no code rather than a wrong one.
            return zbp.make(payee.iban, payee.name[:zbp.LIMITS["name"]], order["reference"][:zbp.LIMITS["title"]],
                            amount or 0)
    except QrFormatError:
        return None
    return None


def notice_codes(order: dict[str, Any], creditor_fiscal_code: str = "",
                 payee: Payee | None = None) -> list[tuple[str, str]]:
    """The QR codes a notice carries, with their captions: ours, pagoPA's and a bank transfer's where they apply."""
    codes = []
    if order.get("qr_payload"):
        codes.append((order["qr_payload"], "Scan at any counter or cash point: the code is signed by the hub."))
    if order["reference_format"] == ReferenceFormat.PAGOPA and creditor_fiscal_code:
        codes.append((pagopa_qr(order, creditor_fiscal_code), "pagoPA: pay through any pagoPA channel."))
    transfer = transfer_code(order, payee)
    if transfer is not None:
        codes.append((transfer, "Bank transfer: scan with your bank's app."))
    return codes


def notice_pdf(order: dict[str, Any], creditor_fiscal_code: str = "", payee: Payee | None = None) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Payment order", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    for label, value in _lines(order, payee):
        pdf.cell(40, 8, label)
        # Core PDF fonts are Latin-1: keep the notice printable whatever the payer's name.
        pdf.cell(0, 8, value.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    for payload, caption in notice_codes(order, creditor_fiscal_code, payee):
        pdf.ln(6)
        pdf.image(io.BytesIO(_qr_png(payload, 8)), w=60)
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, caption, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=12)
    return bytes(pdf.output())


def notice_png(order: dict[str, Any], creditor_fiscal_code: str = "", payee: Payee | None = None) -> bytes:
    lines = _lines(order, payee)
    codes = [Image.open(io.BytesIO(_qr_png(payload, 6)))
             for payload, _ in notice_codes(order, creditor_fiscal_code, payee)]
    width = max([900] + [30 + sum(c.width + 20 for c in codes)])
    height = 80 + 34 * len(lines) + (max(c.height for c in codes) + 20 if codes else 0)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=24) if hasattr(ImageFont, "load_default") else None
    draw.text((30, 20), "Payment order", fill="black", font=font)
    y = 70
    for label, value in lines:
        draw.text((30, y), f"{label}:", fill="black", font=font)
        draw.text((220, y), value, fill="black", font=font)
        y += 34
    x = 30
    for code in codes:
        image.paste(code.convert("RGB"), (x, y + 10))
        x += code.width + 20
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
