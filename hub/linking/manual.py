"""Linking a payment by hand (to an order or a case), audited, and the case system told.

The confirmation for a hand-made link gets its own event id, `<message id>.link<audit seq>`,
so it is a new webhook and not a retry of the first (unlinked) one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.delivery.queue import enqueue_confirmation
from hub.errors import InvalidInput, NotFound
from hub.ingest.store import confirmation_payment
from hub.linking.linker import Link
from hub.store.tables import orders, payments


class LinkError(ValueError):
    """The payment or order does not exist, or the link does not fit; says which."""


class LinkTargetMissing(LinkError, NotFound):
    """The payment, or the order to link it to, does not exist."""


class LinkDoesNotFit(LinkError, InvalidInput):
    """The link asked for names nothing to link to, or does not fit the payment."""


def link_by_hand(conn: Connection, payment_row_id: int, *, order_id: str | None, case_ref: str | None,
                 actor: str, note: str | None = None) -> dict[str, Any]:
    if not order_id and not case_ref:
        raise LinkDoesNotFit("give an order_id or a case_ref to link to")
    payment = conn.execute(select(payments).where(payments.c.id == payment_row_id)).mappings().first()
    if payment is None:
        raise LinkTargetMissing(f"no payment {payment_row_id}")
    if order_id:
        order = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().first()
        if order is None:
            raise LinkTargetMissing(f"no payment order {order_id}")
        if order["currency"] != payment["currency"]:
            raise LinkDoesNotFit(f"order {order_id} is in {order['currency']}, the payment in {payment['currency']}")
        case_ref = case_ref or order["case_ref"]
    link = Link("linked", "manual", order_id, case_ref, note)
    conn.execute(payments.update().where(payments.c.id == payment_row_id).values(**link.columns()))
    seq = record(conn, actor, "payment.link", f"payment:{payment['agent_id']}/{payment['payment_id']}",
                 {"before": {"status": payment["link_status"], "order_id": payment["linked_order_id"],
                             "case_ref": payment["linked_case_ref"]},
                  "after": {"order_id": order_id, "case_ref": case_ref}, "note": note})
    enqueue_confirmation(conn, event_id=f"{payment['message_id']}.link{seq}", agent_id=payment["agent_id"],
                         payment=confirmation_payment(dict(payment)), link=link.to_json())
    return dict(payment) | link.columns()
