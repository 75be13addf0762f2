"""Find what a payment pays: a payment order (by our order id, RF reference, pagoPA
notice number or IUV, ZBP title) or else a case (by case reference).

The first rule that matches wins; what matches nothing is `unlinked` with a note
saying why, and waits in the unlinked queue for a person (or for the order to be
created: `link_waiting_payments`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from hub.store.tables import orders, payments
from protocol.domain import ReferenceFormat


@dataclass(frozen=True)
class Link:
    status: str                       # linked | unlinked
    method: str | None = None         # order_id | rf | pagopa | zbp | case | manual
    order_id: str | None = None
    case_ref: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def columns(self) -> dict[str, Any]:
        return {"link_status": self.status, "link_method": self.method, "linked_order_id": self.order_id,
                "linked_case_ref": self.case_ref, "link_note": self.note}


def _compact(value: str) -> str:
    return "".join(value.split()).replace("-", "").upper()


def candidate_orders(conn: Connection, payment: dict[str, Any]) -> list[tuple[str, Any]]:
    """(method, order row) pairs the payment's references point at, best first."""
    found: list[tuple[str, Any]] = []
    fmt, value = payment.get("reference_format"), payment.get("reference_value")
    if payment.get("order_ref"):
        row = conn.execute(select(orders).where(orders.c.order_id == payment["order_ref"])).mappings().first()
        if row:
            found.append(("order_id", row))
    if not value:
        return found
    compact = _compact(value)
    if fmt == ReferenceFormat.CP_ORDER:
        clause, method = orders.c.order_id == value, "order_id"
    elif fmt == ReferenceFormat.RF or (fmt == ReferenceFormat.EPC and compact.startswith("RF")):
        clause, method = (orders.c.reference == compact) & (orders.c.reference_format == ReferenceFormat.RF), "rf"
    elif fmt == ReferenceFormat.PAGOPA:
        clause, method = or_(orders.c.reference == compact, orders.c.iuv == compact), "pagopa"
    elif fmt == ReferenceFormat.ZBP:
        clause, method = or_(orders.c.reference == value.strip(), orders.c.order_id == value.strip()), "zbp"
    else:
        return found
    row = conn.execute(select(orders).where(clause)).mappings().first()
    if row:
        found.append((method, row))
    return found


def find_link(conn: Connection, payment: dict[str, Any]) -> Link:
    notes = []
    for method, order in candidate_orders(conn, payment):
        if order.get("cancelled_at"):
            # A payment for a cancelled order is an anomaly: a person decides (refund, or link by hand).
            notes.append(f"order {order['order_id']} was cancelled on {order['cancelled_at'][:10]}: "
                         f"{order.get('cancel_reason') or 'no reason given'}")
            continue
        if order["currency"] != payment["currency"]:
            notes.append(f"order {order['order_id']} is in {order['currency']}, the payment in {payment['currency']}")
            continue
        return Link("linked", method, order["order_id"], order["case_ref"] or payment.get("case_ref"))
    case_ref = payment.get("case_ref")
    if not case_ref and payment.get("reference_format") == ReferenceFormat.CASE:
        case_ref = payment.get("reference_value")
    if case_ref and not any("was cancelled" in note for note in notes):
        return Link("linked", "case", None, case_ref, "; ".join(notes) or None)
    if not notes:
        value = payment.get("reference_value")
        notes.append(f"no payment order or case matches {payment.get('reference_format')} reference {value!r}"
                     if value else "the payment carries no reference, order id or case")
    return Link("unlinked", None, None, None, "; ".join(notes))


def link_waiting_payments(conn: Connection, order: dict[str, Any]) -> list[int]:
    """Link unlinked payments that name a just-created order; returns their row ids."""
    keys = {order["order_id"], order["reference"]} | ({order["iuv"]} if order.get("iuv") else set())
    rows = conn.execute(select(payments).where(payments.c.link_status == "unlinked",
                                               or_(payments.c.reference_value.in_(keys),
                                                   payments.c.order_ref == order["order_id"]))).mappings().all()
    linked = []
    for row in rows:
        link = find_link(conn, dict(row))
        if link.status == "linked" and link.order_id == order["order_id"]:
            conn.execute(payments.update().where(payments.c.id == row["id"]).values(**link.columns()))
            linked.append(row["id"])
    return linked
