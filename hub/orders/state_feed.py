"""Telling the desks which payment orders they must no longer take as printed.

Per office, retained on `cp/v1/broadcast/orders/<office>` (protocol.wire.topics.order_state),
an `order.state` envelope signed with the hub's event key (protocol.wire.messages.OrderState)
lists every order of that office, and every order of no office, that is

* cancelled: its code is refused at the counter, with the reason the back office gave;
* changed: its amount changed after its notice was printed (`amount_changed_at`); a
  code asking another amount than it asks now is refused, its new notice is paid.

It is the whole set each time, not a change: a desk replaces what it held, so a broker
that lost its retained messages, or a desk installed today, gets the same picture.

Bounded: an order is listed only while a code printed for it can still be paid, that
is while its due date (the expiry in its signed code) is at most MARGIN_DAYS past, or,
without a due date, for the validity a code without one gets (hub/orders/qr.py) since
it was cancelled or changed.  Of those, at most ORDER_STATE_ENTRIES and
ORDER_STATE_MAX_BYTES go out, the most recently cancelled or changed first; what is left
out is counted in `omitted` and logged (a desk can then still take an old one, and
the linker leaves that payment unlinked with the reason, as before the desks knew).

Published when the hub connects to the broker (hub/serve.py), and after every committed
cancellation or amount change (`publish_for`).  With several hub workers, two changes in
one office at the same instant may leave the older picture retained until the next one;
desks keep the newest they heard (agent/order_state.py refuses an older one).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from hub.context import HubContext
from hub.orders.qr import DEFAULT_VALIDITY_DAYS
from hub.store.db import Database
from hub.store.tables import orders
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import iso
from protocol.canonical import canonical_bytes
from protocol.keys import SigningKey
from protocol.wire import make, topics
from protocol.wire.messages import ORDER_STATE_ENTRIES, ORDER_STATE_MAX_BYTES, OrderState, body_of, build

log = logging.getLogger(__name__)

MARGIN_DAYS = 2
"""Desks' clocks and time zones: a code is treated as payable two days past its expiry."""
SENDER = "hub"
"""The envelope's agent field for a broadcast (no agent may be called 'hub')."""
_ENVELOPE_ROOM = 2048       # id, time, office, key id and signature around the entries


def _entry(row: Any) -> dict[str, Any]:
    if row["cancelled_at"]:
        return {"order_id": row["order_id"], "state": "cancelled", "at": row["cancelled_at"],
                "reference": row["reference"], "reason": row["cancel_reason"] or "cancelled"}
    return {"order_id": row["order_id"], "state": "changed", "at": row["amount_changed_at"],
            "reference": row["reference"], "currency": row["currency"],
            "amount_minor": row["amount_minor"] if row["amount_kind"] == "fixed" else None}


def listed_orders(conn: Connection, office: str, now: dt.datetime | None = None) -> tuple[list[dict], int]:
    """The entries `office`'s desks get, newest first, and how many were left out by the caps."""
    now = now or dt.datetime.now(dt.timezone.utc)
    payable_from = (now.date() - dt.timedelta(days=MARGIN_DAYS)).isoformat()
    signed_since = iso(now - dt.timedelta(days=DEFAULT_VALIDITY_DAYS + MARGIN_DAYS))
    state_time = func.coalesce(orders.c.cancelled_at, orders.c.amount_changed_at)
    where = and_(or_(orders.c.office == office, orders.c.office.is_(None)),
                 or_(orders.c.cancelled_at.is_not(None), orders.c.amount_changed_at.is_not(None)),
                 or_(orders.c.due_date >= payable_from, and_(orders.c.due_date.is_(None), state_time >= signed_since)))
    query = (select(orders.c.order_id, orders.c.reference, orders.c.cancelled_at, orders.c.cancel_reason,
                    orders.c.amount_changed_at, orders.c.amount_kind, orders.c.amount_minor, orders.c.currency)
             .where(where).order_by(state_time.desc(), orders.c.order_id).limit(ORDER_STATE_ENTRIES + 1))
    entries = [_entry(row) for row in conn.execute(query).mappings()]
    total = len(entries)
    if total > ORDER_STATE_ENTRIES:
        total = conn.execute(select(func.count()).select_from(orders).where(where)).scalar_one()
        entries = entries[:ORDER_STATE_ENTRIES]
    room, kept = ORDER_STATE_MAX_BYTES - _ENVELOPE_ROOM, 0
    for entry in entries:
        room -= len(canonical_bytes(entry)) + 1
        if room < 0:
            break
        kept += 1
    entries = entries[:kept]
    if total > len(entries):
        log.warning("order state of office %r: %d cancelled or changed orders may still be paid, %d listed "
                    "(the newest); the desks may take the %d others", office, total, len(entries),
                    total - len(entries))
    return entries, total - len(entries)


def office_payload(conn: Connection, office: str, key: SigningKey, now: dt.datetime | None = None) -> bytes:
    """The signed order.state envelope of `office`, as it goes on the wire."""
    entries, omitted = listed_orders(conn, office, now)
    body = body_of(build(OrderState, office=office, orders=entries, omitted=omitted))
    return make(SENDER, 0, "order.state", body, key).encode()


def offices_told(conn: Connection) -> list[str]:
    """Every office with a desk enrolled or an order of its own listed: each gets its state."""
    enrolled = select(agent_certificates.c.office).where(agent_certificates.c.revoked_at.is_(None))
    with_orders = select(orders.c.office).where(
        orders.c.office.is_not(None), or_(orders.c.cancelled_at.is_not(None), orders.c.amount_changed_at.is_not(None)))
    found = {row[0] for row in conn.execute(enrolled.union(with_orders))}
    return sorted(office for office in found if office)


def publish_office(conn: Connection, context: HubContext, office: str) -> bool:
    """Publish `office`'s order state retained; False when this process has no broker connection."""
    return context.publish(topics.order_state(office), office_payload(conn, office, context.event_key), retain=True)


def publish_all(conn: Connection, context: HubContext) -> int:
    """Publish every office's order state (at connect); returns how many offices."""
    told = offices_told(conn)
    for office in told:
        publish_office(conn, context, office)
    return len(told)


def publish_for(db: Database, context: HubContext, office: str | None) -> None:
    """After a committed cancellation or amount change of an order of `office` (None: of no
    office, which every office's desks are told about).  A failure is logged, never raised:
    the change stands, and the next one or the hub's next connect publishes it."""
    try:
        with db.connect() as conn:
            if office:
                publish_office(conn, context, office)
            else:
                publish_all(conn, context)
    except Exception:
        log.exception("telling the desks of office %r about a changed order failed; the next change or "
                      "hub start publishes it", office)
