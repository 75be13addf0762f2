"""Payments that did not come through a counter: made from flow payments and statement lines.

A pagoPA payment reported in a flow (or a single pagoPA transfer on a statement) becomes
a payment of channel `pagopa`; a bank transfer found by its RF one of channel `bank`.
Each is stored in `payments` like a counter payment, under a payment id derived from
what reported it (keys.py), linked to its order, and its confirmation is queued for the
case system with hub.delivery.queue, the ingest's own path, under that payment id as the
event id: importing and running again finds the payment and queues nothing twice.

A pagoPA notice is paid once.  When its order already has a counter payment the flow
payment is the anomaly `paid_twice`, when it has another pagoPA payment `duplicate`,
and no second payment is made.  A counter payment that comes after the pagoPA payment
was made (the order is then overpaid) turns the matched flow payment or single-payment
line into `paid_twice` at the next run, and voiding the counter payment matches it again.
RF orders may be paid in parts: no such check.

Orders and payments are fetched in bulk for a whole run (`OrderBook.load`,
`PaymentMaker.prefetch`): per-item queries were what made a run of 100,000 items slow;
each query takes its values as one parameter (hub.store.sets), 10,000 at a time, and the
payments are stored with one statement per 10,000 that returns their row ids.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, or_, select

from hub.delivery import queue as delivery_queue
from hub.finance.reconcile import status as st
from hub.linking.linker import Link
from hub.store.sets import fetch_dicts, insert_returning, one_of
from hub.store.tables import orders, payments
from hub.store.timeutil import now_iso
from protocol.domain import ReferenceFormat

CHUNK = 10_000        # values per query: one parameter each (hub.store.sets.one_of)
_ORDER_COLUMNS = (orders.c.order_id, orders.c.reference, orders.c.reference_format, orders.c.iuv, orders.c.office,
                  orders.c.currency, orders.c.case_ref, orders.c.cancelled_at, orders.c.amount_kind,
                  orders.c.amount_minor)


def _chunks(values: Iterable, size: int = CHUNK):
    listed = sorted(set(values))
    for start in range(0, len(listed), size):
        yield listed[start:start + size]


class OrderBook:
    """The orders a run's IUVs and RFs name, by office (an order of no office serves every office)."""

    def __init__(self) -> None:
        self._by_iuv: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_rf: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def load(self, conn: Connection, iuvs: Iterable[str], references: Iterable[str]) -> None:
        for chunk in _chunks(iuvs):
            asked = set(chunk)
            query = select(*_ORDER_COLUMNS).where(or_(one_of(conn, orders.c.iuv, chunk),
                                                      one_of(conn, orders.c.reference, chunk)))
            for row in fetch_dicts(conn, query):
                for key in {row["iuv"], row["reference"]} & asked:
                    self._by_iuv[key].append(row)
        for chunk in _chunks(references):
            query = select(*_ORDER_COLUMNS).where(one_of(conn, orders.c.reference, chunk),
                                                  orders.c.reference_format == ReferenceFormat.RF)
            for row in fetch_dicts(conn, query):
                self._by_rf[row["reference"]].append(row)

    @staticmethod
    def _of(found: list[dict[str, Any]], office: str) -> dict[str, Any] | None:
        mine = [o for o in found if o["office"] == office] or [o for o in found if o["office"] is None]
        return mine[0] if mine else None

    def by_iuv(self, office: str, iuv: str | None) -> dict[str, Any] | None:
        return self._of(self._by_iuv.get(iuv, []), office) if iuv else None

    def by_rf(self, office: str, reference: str | None) -> dict[str, Any] | None:
        return self._of(self._by_rf.get(reference, []), office) if reference else None


@dataclass(frozen=True)
class Source:
    """What reported a payment: enough to store it and to tell the case system where it came from."""
    agent_id: str                    # keys.PAGOPA_AGENT | keys.BANK_AGENT
    payment_id: str
    channel: str                     # pagopa | bank
    office: str
    amount_minor: int
    currency: str
    day: str                         # YYYY-MM-DD: outcome date, booking date
    receipt_id: str                  # the IUR, the bank's reference, or the line's key
    reference_format: str            # pagopa | rf
    reference_value: str
    provider: dict[str, Any]         # PSP or bank, flow id, IUR…: kept in the body and sent along
    payer_name: str | None = None


class PaymentMaker:
    """Makes the payments of one run, queued in memory and stored by `flush` in a few statements."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._stored: dict[tuple[str, str], int] = {}                  # (agent, payment id) → payments.id
        self._of_order: dict[str, list[dict[str, Any]]] = defaultdict(list)   # every payment linked to it
        self._orders: dict[str, dict[str, Any]] = {}                          # the orders paid by this run
        self._new: list[dict[str, Any]] = []
        self._at = now_iso()                       # one received_at for the whole run

    def prefetch(self, keys: Iterable[tuple[str, str]], order_ids: Iterable[str]) -> None:
        by_agent: dict[str, list[str]] = defaultdict(list)
        for agent, payment_id in keys:
            by_agent[agent].append(payment_id)
        for agent, ids in by_agent.items():
            for chunk in _chunks(ids):
                query = select(payments.c.id, payments.c.payment_id).where(
                    payments.c.agent_id == agent, one_of(self.conn, payments.c.payment_id, chunk))
                for row_id, payment_id in self.conn.execute(query).all():
                    self._stored[(agent, payment_id)] = row_id
        for chunk in _chunks(order_ids):
            query = select(payments.c.agent_id, payments.c.payment_id, payments.c.channel, payments.c.kind,
                           payments.c.voided_at, payments.c.amount_minor, payments.c.linked_order_id).where(
                one_of(self.conn, payments.c.linked_order_id, chunk))
            for row in fetch_dicts(self.conn, query):
                self._of_order[row["linked_order_id"]].append(row)

    def settle(self, source: Source, order: dict[str, Any], *, once: bool) -> tuple[str, str]:
        """The (status, reason) of paying `order` from `source`, the payment queued if it is new.
        `once`: the order is a pagoPA notice, paid by one payment only."""
        key = (source.agent_id, source.payment_id)
        others = [p for p in self._of_order.get(order["order_id"], []) if not p["voided_at"] and p["kind"] == "payment"]
        at_counter = once and any(p["channel"] == "counter" for p in others)
        if key in self._stored:
            # Made before; a counter payment for the same notice since then makes it paid twice
            # (the order is overpaid), until that payment is voided or a person resolves it.
            return (st.ANOMALY, st.PAID_TWICE) if at_counter else (st.MATCHED, st.PAYS_ORDER)
        if order["cancelled_at"] or order["currency"] != source.currency:
            return st.ANOMALY, st.ORDER_NOT_PAYABLE
        if at_counter:
            return st.ANOMALY, st.PAID_TWICE
        if once and others:
            return st.ANOMALY, st.DUPLICATE
        method = "rf" if source.reference_format == ReferenceFormat.RF else "pagopa"
        link = Link("linked", method, order["order_id"], order["case_ref"])
        at = self._at
        columns = {
            "agent_id": source.agent_id, "payment_id": source.payment_id, "message_id": source.payment_id,
            "receipt_id": source.receipt_id[:64], "office": source.office, "kind": "payment",
            "amount_minor": source.amount_minor, "currency": source.currency,
            "tender": "pagopa" if source.channel == "pagopa" else "transfer",
            "reference_format": source.reference_format, "reference_value": source.reference_value,
            "order_ref": order["order_id"], "case_ref": order["case_ref"], "payer_name": source.payer_name,
            "payer_id": None, "operator": None, "captured_at": f"{source.day}T00:00:00.000Z", "received_at": at,
            "voided_at": None, "void_reason": None, **link.columns(), "channel": source.channel,
            "body": {"channel": source.channel, **source.provider}}
        self._new.append(columns)
        self._stored[key] = 0                              # its row id is known after flush
        self._of_order[order["order_id"]].append({"agent_id": source.agent_id, "payment_id": source.payment_id,
                                                 "channel": source.channel, "kind": "payment", "voided_at": None,
                                                 "amount_minor": source.amount_minor})
        self._orders[order["order_id"]] = order
        return st.MATCHED, st.PAYS_ORDER

    def flush(self) -> int:
        """Store the queued payments and queue their confirmations; returns how many were made."""
        from hub.ingest.store import confirmation_payment
        made = self._new
        self._new = []
        if not made:
            return 0
        for row_id, agent_id, payment_id in insert_returning(self.conn, payments, made,
                                                             ("id", "agent_id", "payment_id")):
            self._stored[(agent_id, payment_id)] = row_id
        delivery_queue.enqueue_confirmations(self.conn, [{
            "event_id": c["payment_id"], "agent_id": c["agent_id"],
            "payment": {**confirmation_payment(c), "channel": c["channel"], "source": c["body"]},
            "link": {"status": c["link_status"], "method": c["link_method"], "order_id": c["linked_order_id"],
                     "case_ref": c["linked_case_ref"], "note": c["link_note"]}} for c in made],
            # every payment of these orders is in _of_order (prefetched, and this run's): no need to read them again
            orders={order_id: delivery_queue.order_snapshot_of(order, self._of_order[order_id])
                    for order_id, order in self._orders.items()})
        return len(made)

    def row_of(self, agent_id: str, payment_id: str) -> int | None:
        return self._stored.get((agent_id, payment_id)) or None
