"""What an order's payments add up to: unpaid / partly_paid / paid / overpaid.

Computed on read from the payments linked to the order, so the answer never
depends on the order in which payments (or replays of them) arrived.  Voided
payments do not count; refunds count negative; a handling fee charged with a payment
is the office's, not the order's, so it does not count either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from hub.store.tables import payments

PAYMENT_COLUMNS = (payments.c.id, payments.c.payment_id, payments.c.agent_id, payments.c.office,
                   payments.c.captured_at, payments.c.amount_minor, payments.c.currency, payments.c.tender,
                   payments.c.kind, payments.c.voided_at, payments.c.link_method, payments.c.receipt_id,
                   payments.c.channel, payments.c.handling_fee_minor)


def signed_amount(row: Any) -> int:
    if row["voided_at"]:
        return 0
    towards_order = row["amount_minor"] - (row.get("handling_fee_minor") or 0)
    return -towards_order if row["kind"] == "refund" else towards_order


def order_status(amount_kind: str, amount_minor: int | None, paid_minor: int) -> str:
    if paid_minor <= 0:
        return "unpaid"
    if amount_minor is None:
        return "paid"      # an open order with no expected total is paid by any payment
    if paid_minor < amount_minor:
        return "partly_paid"
    return "paid" if paid_minor == amount_minor else "overpaid"


def order_payments(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    return payments_of_orders(conn, [order_id])[order_id]


def payments_of_orders(conn: Connection, order_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each order id → its linked payments in capture order, for a list of orders in one query
    (ix_payments_order), not one query per order; an order with none gets an empty list."""
    found: dict[str, list[dict[str, Any]]] = {order_id: [] for order_id in order_ids}
    if not found:
        return found
    rows = conn.execute(select(*PAYMENT_COLUMNS, payments.c.linked_order_id)
                        .where(payments.c.linked_order_id.in_(sorted(found)))
                        .order_by(payments.c.linked_order_id, payments.c.captured_at, payments.c.id)).mappings()
    for row in rows:
        payment = dict(row)
        found[payment.pop("linked_order_id")].append(payment)
    return found


def summarise(order: dict[str, Any], paid_rows: list[dict[str, Any]]) -> dict[str, Any]:
    paid = sum(signed_amount(row) for row in paid_rows)
    return {"paid_minor": paid, "status": order_status(order["amount_kind"], order["amount_minor"], paid),
            "outstanding_minor": None if order["amount_minor"] is None else max(order["amount_minor"] - paid, 0)}
