"""The receipt as lines of text for 42- or 48-column printers (Font A on 80 mm paper is 48,
on 58/76 mm printers commonly 42), in the desk's language (or the kiosk citizen's).

Lines: office, date/time; per position its name and line total, then quantity × unit price
with the VAT rate and the VAT in it, and its discount with the reason; subtotal, discounts,
the handling fee (always its own line), TOTAL, the VAT per rate and in all; the tender (cash
given and change; card type and masked PAN, last 4 digits only; terminal id / trace /
receipt numbers), reference, receipt id, desk and operator; the QR is drawn below by the printer or PNG renderer.

The figures add up on paper: the line totals, less the discounts, plus the handling fee
charged with the payment, are the TOTAL; the VAT of the lines is the VAT total
(protocol.fees does the arithmetic; tests/agent/test_receipt_totals.py proves it).
Texts are the agent catalogues' `receipt.paper.*` keys, amounts are written with the
language's decimal sign and the currency's ISO code (which every printer code page has).
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import dataclass, field

from protocol import fees
from protocol.domain import Tender

from agent.journal import mask_pan
from agent.receipts.texts import ReceiptTexts


@dataclass
class ReceiptData:
    office: str
    agent_id: str
    receipt_id: str
    time: str                              # RFC 3339 UTC
    amount_minor: int
    currency: str
    tender: str                            # card | cash
    # code, name, quantity, unit_minor, vat_rate_bp, discount {name, reason, amount_minor}
    positions: list[dict] = field(default_factory=list)
    cash_given_minor: int | None = None
    change_minor: int | None = None
    card_type: str | None = None
    masked_pan: str | None = None
    terminal_id: str | None = None
    trace_no: str | None = None
    terminal_receipt_no: str | None = None
    auth_code: str | None = None
    reference: str | None = None
    payer_name: str | None = None
    qr_payload: str | None = None
    copy: bool = False                     # a reprint says so
    operator: str | None = None            # who was logged in at the desk
    handling_fee: dict | None = None       # amount_minor, tender, name (wire HandlingFee)
    language: str = "en"
    undo_kind: str | None = None           # a void receipt: reversal | refund (agent/voids.py)
    undoes_receipt_id: str | None = None   # … the receipt of the payment it undoes
    undo_reason: str | None = None
    approved_by: str | None = None         # … the supervisor who approved it


def _pair(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(0, room - 1)] + "…"
    return left + " " * (width - len(left) - len(right)) + right


def _center(text: str, width: int) -> str:
    return text[:width].center(width).rstrip()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int, indent: str) -> list[str]:
    """A sentence over as many lines as it needs, each indented (a reason, a note must be read whole)."""
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent, break_long_words=True) or [indent]


def basket_of(data: ReceiptData) -> fees.Basket:
    """The receipt's positions, discounts and handling fee as protocol.fees figures."""
    lines = []
    for position in data.positions:
        discount = position.get("discount")
        lines.append(fees.Line(
            str(position.get("code") or ""), str(position.get("name") or position.get("code") or ""),
            int(position.get("quantity", 1)), int(position.get("unit_minor", 0)), int(position.get("vat_rate_bp", 0)),
            fees.Discount(str(discount["name"]), int(discount["amount_minor"]), str(discount.get("reason") or ""))
            if discount else None))
    fee = data.handling_fee or {}
    return fees.Basket(tuple(lines), int(fee.get("amount_minor") or 0), fee.get("tender"), data.tender,
                       fee.get("name"))


def _positions(data: ReceiptData, basket: fees.Basket, tx: ReceiptTexts, w: int) -> list[str]:
    out = []
    for line in basket.lines:
        amount = tx.money(line.gross_minor)
        # The name whole, over as many lines as it needs; the amount beside its first line.
        name = textwrap.wrap(line.name, max(8, w - len(amount) - 1), break_long_words=True) or [""]
        out.append(_pair(name[0], amount, w))
        out += textwrap.wrap(" ".join(name[1:]), w, break_long_words=True) if len(name) > 1 else []
        detail = "  " + tx.t("receipt.paper.quantity", quantity=line.quantity, unit=tx.amount(line.unit_minor))
        if line.vat_rate_bp:
            vat = tx.t("receipt.paper.line_vat", rate=tx.rate(line.vat_rate_bp), vat=tx.amount(line.vat_minor))
            if len(detail) + 2 + len(vat) <= w:
                detail += "  " + vat
            else:
                out.append(_clip(detail, w))
                detail = "    " + vat
        out.append(_clip(detail, w))
        if line.discount:
            out.append(_pair("  " + tx.t("receipt.paper.discount", name=line.discount.name),
                             tx.money(-line.discount_minor), w))
            if line.discount.reason:
                out += _wrap(tx.t("receipt.paper.discount_reason", reason=line.discount.reason), w, "    ")
    return out


def _totals(data: ReceiptData, basket: fees.Basket, tx: ReceiptTexts, w: int) -> list[str]:
    out = []
    if basket.discount_minor or basket.fee_included:
        out.append(_pair(tx.t("receipt.paper.subtotal"), tx.money(basket.subtotal_minor), w))
    if basket.discount_minor:
        out.append(_pair(tx.t("receipt.paper.discounts"), tx.money(-basket.discount_minor), w))
    if basket.fee_included:
        out.append(_pair(basket.fee_name or tx.t("receipt.paper.handling_fee"), tx.money(basket.fee_minor), w))
    out.append(_pair(tx.t("receipt.paper.total"), tx.money(data.amount_minor), w))
    by_rate = [entry for entry in basket.vat_by_rate() if entry[0]]
    if by_rate:
        for rate, gross, vat in by_rate:
            out.append(_pair("  " + tx.t("receipt.paper.vat_rate", rate=tx.rate(rate), base=tx.amount(gross)),
                             tx.money(vat), w))
        out.append(_pair(tx.t("receipt.paper.vat_total"), tx.money(basket.vat_minor), w))
    return out


def layout(data: ReceiptData, columns: int = 42) -> list[str]:
    if columns not in (42, 48):
        raise ValueError("receipt printers here are 42 or 48 columns wide")
    w = columns
    tx = ReceiptTexts(data.language, data.currency)
    when = dt.datetime.fromisoformat(data.time.replace("Z", "+00:00")).astimezone()
    title_key = {"reversal": "receipt.paper.void_title", "refund": "receipt.paper.refund_title"}.get(
        data.undo_kind or "", "receipt.paper.title")
    title = tx.t(title_key) + (" " + tx.t("receipt.paper.copy") if data.copy else "")
    lines = [_center(data.office, w), _center(title, w),
             "-" * w, _pair(tx.t("receipt.paper.date"), when.strftime("%Y-%m-%d %H:%M:%S"), w), "-" * w]
    basket = basket_of(data)
    lines += _positions(data, basket, tx, w)
    if data.positions:
        lines.append("-" * w)
    if data.undo_kind:
        return lines + _undo_lines(data, tx, w)
    lines += _totals(data, basket, tx, w)
    if data.tender == Tender.CASH:
        given = data.cash_given_minor or data.amount_minor
        lines.append(_pair(tx.t("receipt.paper.paid_cash"), tx.money(given), w))
        lines.append(_pair(tx.t("receipt.paper.change"), tx.money(data.change_minor or 0), w))
    else:
        lines.append(_pair(tx.t("receipt.paper.paid_card"), data.card_type or tx.t("receipt.paper.card_default"), w))
        if data.masked_pan:
            lines.append(_pair(tx.t("receipt.paper.card"), mask_pan(data.masked_pan) or "", w))
        for key, value in (("receipt.paper.terminal", data.terminal_id), ("receipt.paper.trace", data.trace_no),
                           ("receipt.paper.terminal_receipt", data.terminal_receipt_no),
                           ("receipt.paper.auth_code", data.auth_code)):
            if value:
                lines.append(_pair(tx.t(key), value, w))
    if basket.fee_apart_minor:
        lines.append(_pair(basket.fee_name or tx.t("receipt.paper.handling_fee"), tx.money(basket.fee_apart_minor), w))
        lines += _wrap(tx.t("receipt.paper.fee_apart"), w, "  ")
    lines.append("-" * w)
    if data.reference:
        lines.append(_pair(tx.t("receipt.paper.for"), data.reference, w))
    if data.payer_name:
        lines.append(_pair(tx.t("receipt.paper.payer"), data.payer_name, w))
    lines.append(_pair(tx.t("receipt.paper.receipt"), data.receipt_id, w))
    lines.append(_pair(tx.t("receipt.paper.desk"), data.agent_id, w))
    if data.operator:
        lines.append(_pair(tx.t("receipt.paper.operator"), data.operator, w))
    lines.append(_center(tx.t("receipt.paper.verify"), w))
    return lines


def _undo_lines(data: ReceiptData, tx: ReceiptTexts, w: int) -> list[str]:
    """A void or refund: what went back to the card, what it undoes, who approved; no QR, as a
    void receipt proves no payment."""
    label = tx.t("receipt.paper.voided" if data.undo_kind == "reversal" else "receipt.paper.refunded")
    lines = [_pair(label, tx.money(-data.amount_minor), w)]
    if data.masked_pan:
        lines.append(_pair(tx.t("receipt.paper.card"), mask_pan(data.masked_pan) or "", w))
    for key, value in (("receipt.paper.terminal", data.terminal_id), ("receipt.paper.trace", data.trace_no),
                       ("receipt.paper.terminal_receipt", data.terminal_receipt_no)):
        if value:
            lines.append(_pair(tx.t(key), value, w))
    lines.append("-" * w)
    lines.append(_pair(tx.t("receipt.paper.undoes"), data.undoes_receipt_id or "", w))
    if data.reference:
        lines.append(_pair(tx.t("receipt.paper.for"), data.reference, w))
    lines.append(tx.t("receipt.paper.reason"))
    lines.extend(_wrap(data.undo_reason or "", w, ""))
    lines.append(_pair(tx.t("receipt.paper.receipt"), data.receipt_id, w))
    lines.append(_pair(tx.t("receipt.paper.desk"), data.agent_id, w))
    if data.operator:
        lines.append(_pair(tx.t("receipt.paper.operator"), data.operator, w))
    if data.approved_by:
        lines.append(_pair(tx.t("receipt.paper.approved_by"), data.approved_by, w))
    return lines


def receipt_data_from_journal(row: dict, office: str, agent_id: str, qr_payload: str | None,
                              copy: bool = False, language: str = "en") -> ReceiptData:
    """A journal row's receipt; in the language the payment was taken in (kept in its request),
    else `language` (the desk's)."""
    request = json.loads(row["request"])
    outcome = json.loads(row["outcome"]) if row.get("outcome") else {}
    reference = request.get("reference") or {}
    ref_text = request.get("order_id") or request.get("case_ref") or reference.get("value")
    return ReceiptData(
        office=office, agent_id=agent_id, receipt_id=row["receipt_id"],
        time=row.get("captured_at") or row["created_at"], amount_minor=row["amount_minor"],
        currency=row["currency"], tender=row["tender"], positions=request.get("positions") or [],
        cash_given_minor=request.get("cash_given_minor"), change_minor=request.get("change_minor"),
        card_type=outcome.get("card_type"), masked_pan=outcome.get("masked_pan"),
        terminal_id=outcome.get("terminal_id"), trace_no=outcome.get("trace_no"),
        terminal_receipt_no=outcome.get("receipt_no"), auth_code=outcome.get("auth_code"),
        reference=ref_text, payer_name=request.get("payer_name"), qr_payload=qr_payload, copy=copy,
        handling_fee=request.get("handling_fee"), language=request.get("language") or language,
        operator=row.get("operator"))
