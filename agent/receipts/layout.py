"""The receipt as lines of text for 42- or 48-column printers (Font A on 80 mm paper is 48,
on 58/76 mm printers commonly 42).

Lines: office, date/time, positions, total, tender (cash given and change), card type
and masked PAN (last 4 digits only), terminal id / trace / receipt numbers, reference,
receipt id, desk and operator; the QR is drawn below by the printer or PNG renderer.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import dataclass, field

from protocol.domain import Tender
from protocol.money import Money

from agent.journal import mask_pan


@dataclass
class ReceiptData:
    office: str
    agent_id: str
    receipt_id: str
    time: str                              # RFC 3339 UTC
    amount_minor: int
    currency: str
    tender: str                            # card | cash
    positions: list[dict] = field(default_factory=list)   # code, name, quantity, unit_minor
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
    undo_kind: str | None = None           # a void receipt: reversal | refund (agent/voids.py)
    undoes_receipt_id: str | None = None   # … the receipt of the payment it undoes
    undo_reason: str | None = None
    approved_by: str | None = None         # … the supervisor who approved it


def money(amount_minor: int, currency: str) -> str:
    return str(Money(amount_minor, currency))


def _pair(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(0, room - 1)] + "…"
    return left + " " * (width - len(left) - len(right)) + right


def _center(text: str, width: int) -> str:
    return text[:width].center(width).rstrip()


def layout(data: ReceiptData, columns: int = 42) -> list[str]:
    if columns not in (42, 48):
        raise ValueError("receipt printers here are 42 or 48 columns wide")
    w = columns
    when = dt.datetime.fromisoformat(data.time.replace("Z", "+00:00")).astimezone()
    title = {"reversal": "VOID RECEIPT", "refund": "REFUND RECEIPT"}.get(data.undo_kind or "", "PAYMENT RECEIPT")
    lines = [_center(data.office, w), _center(title + (" (COPY)" if data.copy else ""), w),
             "-" * w, _pair("Date", when.strftime("%Y-%m-%d %H:%M:%S"), w), "-" * w]
    for position in data.positions:
        qty = int(position.get("quantity", 1))
        unit = int(position.get("unit_minor", 0))
        name = str(position.get("name") or position.get("code") or "")
        label = f"{qty} x {name}" if qty != 1 else name
        lines.append(_pair(label, money(unit * qty, data.currency), w))
    if data.positions:
        lines.append("-" * w)
    if data.undo_kind:
        return lines + _undo_lines(data, w)
    lines.append(_pair("TOTAL", money(data.amount_minor, data.currency), w))
    if data.tender == Tender.CASH:
        lines.append(_pair("Paid in cash", money(data.cash_given_minor or data.amount_minor, data.currency), w))
        lines.append(_pair("Change", money(data.change_minor or 0, data.currency), w))
    else:
        lines.append(_pair("Paid by card", data.card_type or "card", w))
        if data.masked_pan:
            lines.append(_pair("Card", mask_pan(data.masked_pan) or "", w))
        for label, value in (("Terminal", data.terminal_id), ("Trace", data.trace_no),
                             ("Terminal receipt", data.terminal_receipt_no), ("Auth code", data.auth_code)):
            if value:
                lines.append(_pair(label, value, w))
    lines.append("-" * w)
    if data.reference:
        lines.append(_pair("For", data.reference, w))
    if data.payer_name:
        lines.append(_pair("Payer", data.payer_name, w))
    lines.append(_pair("Receipt", data.receipt_id, w))
    lines.append(_pair("Desk", data.agent_id, w))
    if data.operator:
        lines.append(_pair("Operator", data.operator, w))
    lines.append(_center("Scan the code below to verify", w))
    return lines


def _undo_lines(data: ReceiptData, w: int) -> list[str]:
    """A void or refund: what went back to the card, what it undoes, who approved; no QR, as a
    void receipt proves no payment."""
    label = "VOIDED" if data.undo_kind == "reversal" else "REFUNDED"
    lines = [_pair(label, "-" + money(data.amount_minor, data.currency), w)]
    if data.masked_pan:
        lines.append(_pair("Card", mask_pan(data.masked_pan) or "", w))
    for name, value in (("Terminal", data.terminal_id), ("Trace", data.trace_no),
                        ("Terminal receipt", data.terminal_receipt_no)):
        if value:
            lines.append(_pair(name, value, w))
    lines.append("-" * w)
    lines.append(_pair("Undoes receipt", data.undoes_receipt_id or "", w))
    if data.reference:
        lines.append(_pair("For", data.reference, w))
    lines.append("Reason:")
    lines.extend(textwrap.wrap(data.undo_reason or "", w) or [""])
    lines.append(_pair("Receipt", data.receipt_id, w))
    lines.append(_pair("Desk", data.agent_id, w))
    if data.operator:
        lines.append(_pair("Operator", data.operator, w))
    if data.approved_by:
        lines.append(_pair("Approved by", data.approved_by, w))
    return lines


def receipt_data_from_journal(row: dict, office: str, agent_id: str, qr_payload: str | None,
                              copy: bool = False) -> ReceiptData:
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
        operator=row.get("operator"))
