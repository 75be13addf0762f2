"""Queue a confirmation for a case system, inside the transaction that stores the payment.

    enqueue_confirmation(conn, event_id=envelope.id, agent_id=envelope.agent,
                         payment=confirmation_payment(columns), link=link.to_json())

The case system is chosen by its reference patterns (hub.casesys.registry).  No match
gives a row in state ``unrouted``, listed by the API and re-routed when a case system
that matches is registered or on replay.  One row per event (the event id is unique),
so a replayed agent message never queues a second confirmation.

The confirmation payload (the exact HTTP body, fixed when queued so every retry sends
the same bytes; only ``webhook-timestamp`` and ``webhook-signature`` change per attempt)
follows the Standard Webhooks shape ``{"type", "timestamp", "data"}``:

    {
      "type": "payment.confirmed",            # or "payment.voided" when the payment is voided
      "timestamp": "2026-11-22T12:00:00.123Z",   # when the hub queued it
      "data": {
        "event_id": "…",                      # the agent's message id: the confirmation's identity
        "agent_id": "lv-riga-desk-3",
        "payment": {"payment_id", "receipt_id", "office", "kind", "amount_minor", "currency",
                    "tender", "reference_format", "reference_value", "order_ref", "case_ref",
                    "payer_name", "payer_id", "operator", "captured_at", "voided_at", "void_reason", …},
        "link": {"status": "linked", "method": "rf", "order_id": "…", "case_ref": "…", "note": null},
        "order": {"order_id", "amount_minor", "currency", "paid_minor", "outstanding_minor",
                  "status": "unpaid|partly_paid|paid|overpaid"}      # null when not linked to an order
      }
    }

Headers: ``webhook-id`` (``msg_`` + 32 hex digits derived from the event id and the case
system, so it is the same on every retry and every replay), ``webhook-timestamp``,
``webhook-signature`` (see protocol.webhooks).  Amounts are integer minor units.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from sqlalchemy import Connection, select

from hub.casesys import registry
from hub.delivery import wakeup
from hub.delivery.clock import stamp
from hub.store import locks
from hub.store.sets import fetch_dicts, insert_many, one_of
from hub.store.tables_delivery import deliveries
from protocol import fastjson
from protocol.domain import DeliveryStatus

_CHUNK = 10_000      # event and order ids per query, as one parameter (hub.store.sets.one_of)

def webhook_id_for(event_id: str, case_system: str | None) -> str:
    digest = hashlib.sha256(f"{event_id}\x00{case_system or ''}".encode("utf-8")).hexdigest()
    return "msg_" + digest[:32]


def case_key(payment: dict[str, Any], link: dict[str, Any], event_id: str) -> str:
    """What per-case ordering is kept by: the case, else the order, else the reference."""
    for value in ((link or {}).get("case_ref"), payment.get("case_ref"), (link or {}).get("order_id"),
                  payment.get("order_ref"), payment.get("reference_value")):
        if value:
            return str(value)[:200]
    return f"event:{event_id}"[:200]


def _order_snapshot(conn: Connection, order_id: str | None) -> dict[str, Any] | None:
    if not order_id:
        return None
    from hub.linking.status import order_payments, summarise
    from hub.store.tables import orders

    order = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().first()
    if order is None:
        return None
    summary = summarise(dict(order), order_payments(conn, order_id))
    return {"order_id": order_id, "amount_minor": order["amount_minor"], "currency": order["currency"],
            **summary}


def build_payload(*, event_id: str, agent_id: str, payment: dict[str, Any], link: dict[str, Any],
                  order: dict[str, Any] | None, created_at: str) -> bytes:
    kind = "payment.voided" if payment.get("voided_at") else "payment.confirmed"
    body = {"type": kind, "timestamp": created_at,
            "data": {"event_id": event_id, "agent_id": agent_id, "payment": payment, "link": link or {},
                     "order": order}}
    return fastjson.dumps_sorted(body)


def enqueue_confirmation(conn: Connection, *, event_id: str, agent_id: str, payment: dict[str, Any],
                         link: dict[str, Any], now: float | None = None) -> str | None:
    """Queue one confirmation in the caller's transaction; returns its webhook id
    (None when this event was queued before)."""
    queued = enqueue_confirmations(conn, [{"event_id": event_id, "agent_id": agent_id, "payment": payment,
                                          "link": link}], now=now)
    return queued[0] if queued else None


def enqueue_confirmations(conn: Connection, items: list[dict[str, Any]], now: float | None = None,
                          stale_refs: set[str] | None = None,
                          orders: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Queue a batch of confirmations (dicts of event_id, agent_id, payment, link) in the
    caller's transaction with a handful of statements, whatever the batch size: ingest
    commits payments in batches, and per-payment statements were half its CPU.
    Returns the webhook ids queued; events queued before are skipped.  The references
    paid are evicted from this process's case-lookup caches and added to `stale_refs`,
    for a caller in another process (the ingest's store process) to evict there.
    `orders`: the snapshots (`order_snapshot_of`) of orders the caller already holds with
    all their payments, this batch's included (reconciliation does); the others are read."""
    if not items:
        return []
    event_ids = list(dict.fromkeys(item["event_id"] for item in items))
    known: set[str] = set()
    for start in range(0, len(event_ids), _CHUNK):
        chunk = event_ids[start:start + _CHUNK]
        known.update(conn.execute(select(deliveries.c.event_id)
                                  .where(one_of(conn, deliveries.c.event_id, chunk))).scalars().all())
    moment = stamp(time.time() if now is None else now)
    fresh = [item for item in items if item["event_id"] not in known]
    wanted = {(item.get("link") or {}).get("order_id") for item in fresh} - {None, ""}
    given = {order_id: orders[order_id] for order_id in wanted & orders.keys()} if orders else {}
    snapshots = {**_order_snapshots(conn, wanted - given.keys()), **given}
    systems = registry.cached_systems(conn)     # read now: the rows are made while the COPY holds the connection
    routed = []                                 # (item, reference values, case system, case key), once per event
    for item in fresh:
        if item["event_id"] in known:           # the same event twice in one batch
            continue
        known.add(item["event_id"])
        payment, link = item["payment"], item.get("link") or {}
        values = registry.reference_values(payment, link)
        target = registry.choose_from(systems, values)
        routed.append((item, values, target["name"] if target else None, case_key(payment, link, item["event_id"])))
    if not routed:
        return []
    # Per-case order is queue (id) order: two workers queuing for one case at once take turns, so
    # the later id also commits later and a delivery worker never sees it before the earlier one.
    locks.transaction_locks(conn, "delivery-case.", [f"{name}\n{key}" for _, _, name, key in routed if name])
    queued: list[str] = []
    forget: set[str] = set()

    def rows():
        # Made one by one as they are stored, so the server stores a row while the next payload is built.
        for item, values, name, key in routed:
            payment, link = item["payment"], item.get("link") or {}
            payload = build_payload(event_id=item["event_id"], agent_id=item["agent_id"], payment=payment,
                                    link=link, order=snapshots.get(link.get("order_id")), created_at=moment)
            row = {
                "webhook_id": webhook_id_for(item["event_id"], name), "event_id": item["event_id"],
                "agent_id": item["agent_id"],
                "type": "payment.voided" if payment.get("voided_at") else "payment.confirmed",
                "case_system": name, "case_key": key,
                "payload": payload.decode("utf-8"), "attempts": 0,
                "status": DeliveryStatus.PENDING if name else DeliveryStatus.UNROUTED,
                "created_at": moment, "window_started_at": moment, "next_attempt_at": moment, "replays": 0}
            queued.append(row["webhook_id"])
            forget.update(v for k, v in values.items() if k != "reference")
            yield row

    insert_many(conn, deliveries, rows())   # one executemany (SQLite), one COPY fed row by row (PostgreSQL)
    wakeup.announce(conn)
    from hub.casesys.lookup import forget_all_everywhere
    forget_all_everywhere(forget)
    if stale_refs is not None:
        stale_refs.update(forget)
    return queued


def _order_snapshots(conn: Connection, order_ids: set[str]) -> dict[str, dict[str, Any]]:
    """`_order_snapshot` of many orders with two queries per 10,000 (their ids as one
    parameter): reconciliation queues confirmations for 100,000 orders at once."""
    from hub.linking.status import PAYMENT_COLUMNS
    from hub.store.tables import orders, payments

    listed = sorted(order_ids)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start:start + _CHUNK]
        query = select(orders.c.order_id, orders.c.amount_kind, orders.c.amount_minor, orders.c.currency).where(
            one_of(conn, orders.c.order_id, chunk))
        rows = {row["order_id"]: row for row in fetch_dicts(conn, query)}
        paid: dict[str, list[dict[str, Any]]] = {order_id: [] for order_id in rows}
        query = (select(*PAYMENT_COLUMNS, payments.c.linked_order_id)
                 .where(one_of(conn, payments.c.linked_order_id, chunk))
                 .order_by(payments.c.captured_at, payments.c.id))
        for payment in fetch_dicts(conn, query):
            paid[payment["linked_order_id"]].append(payment)
        for order_id, order in rows.items():
            found[order_id] = order_snapshot_of(order, paid[order_id])
    return found


def order_snapshot_of(order: dict[str, Any], paid: list[dict[str, Any]]) -> dict[str, Any]:
    """What a confirmation says of its order: `order` (order_id, amount_kind, amount_minor,
    currency) with every payment linked to it (amount_minor, kind, voided_at)."""
    from hub.linking.status import summarise
    return {"order_id": order["order_id"], "amount_minor": order["amount_minor"], "currency": order["currency"],
            **summarise(order, paid)}

