"""The dashboard's figures, each within the viewer's office scope.

An agent belongs to the office its certificate was issued for (hub/pki enrollment); a
delivery to its agent's office, or for a pagoPA or bank payment to that payment's office
(hub.delivery.listing).  Agents and deliveries with no known office are counted only for
a viewer of every office.  "Today" is the UTC day: payments are stored in UTC.

The page is shown every 30 s to whoever has it open, so each figure is read from an index
and the unlinked payments are counted up to COUNT_UP_TO, as their list counts them ("more
than 10,000"): a queue that long reads the same whatever its exact length, and counting a
few hundred thousand index entries cost more than every other figure together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, case, func, literal, select

from protocol.domain import DeliveryStatus
from hub.delivery import listing as delivery_listing
from hub.linking.search import COUNT_UP_TO
from hub.store.tables import agents, payments
from hub.store.tables_delivery import deliveries
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import iso
from hub.users.scope import Scope

AGENTS_SHOWN = 50
"""Agents listed on the dashboard: offline first, then by outbox depth."""


@dataclass(frozen=True)
class Takings:
    office: str
    tender: str
    currency: str
    count: int
    total_minor: int        # payments less refunds, voids left out


@dataclass(frozen=True)
class AgentState:
    agent_id: str
    office: str | None
    online: bool
    outbox_depth: int | None
    oldest_age_s: int | None
    last_seen: str | None


@dataclass
class Dashboard:
    day: dt.date
    takings: list[Takings] = field(default_factory=list)
    agents_online: int = 0
    agents_offline: int = 0
    agents: list[AgentState] = field(default_factory=list)
    unlinked: int = 0                   # counted up to COUNT_UP_TO
    unlinked_more: bool = False         # more than that
    backlog: int = 0
    dead_letters: int = 0


def agent_offices():
    """agent_id → office, from the agents' certificates (one office per agent)."""
    return (select(agent_certificates.c.agent_id, func.max(agent_certificates.c.office).label("office"))
            .group_by(agent_certificates.c.agent_id).subquery("agent_offices"))


def takings(conn: Connection, scope: Scope, day: dt.date) -> list[Takings]:
    start = dt.datetime.combine(day, dt.time(), dt.timezone.utc)
    signed = case((payments.c.kind == "refund", -payments.c.amount_minor), else_=payments.c.amount_minor)
    query = (select(payments.c.office, payments.c.tender, payments.c.currency, func.count().label("count"),
                    func.sum(signed).label("total"))
             .where(payments.c.captured_at >= iso(start), payments.c.captured_at < iso(start + dt.timedelta(days=1)),
                    payments.c.voided_at.is_(None), scope.filter(payments.c.office))
             .group_by(payments.c.office, payments.c.tender, payments.c.currency)
             .order_by(payments.c.office, payments.c.tender, payments.c.currency))
    return [Takings(row.office, row.tender, row.currency, row.count, int(row.total or 0))
            for row in conn.execute(query)]


def agent_states(conn: Connection, scope: Scope) -> tuple[int, int, list[AgentState]]:
    """(online, offline, the first AGENTS_SHOWN agents): one query, the counts over every agent
    in scope beside each listed row."""
    offices = agent_offices()
    online = func.sum(case((agents.c.online.is_(True), 1), else_=0)).over()
    offline = func.sum(case((agents.c.online.is_(False), 1), else_=0)).over()
    query = (select(agents.c.agent_id, offices.c.office, agents.c.online, agents.c.outbox_depth,
                    agents.c.oldest_age_s, agents.c.last_seen, online.label("in_scope_online"),
                    offline.label("in_scope_offline"))
             .select_from(agents.outerjoin(offices, offices.c.agent_id == agents.c.agent_id))
             .order_by(agents.c.online, agents.c.outbox_depth.desc().nulls_last(), agents.c.agent_id)
             .limit(AGENTS_SHOWN))
    if not scope.is_everything:
        query = query.where(scope.filter(offices.c.office))
    rows = conn.execute(query).mappings().all()
    if not rows:
        return 0, 0, []
    listed = [AgentState(**{k: v for k, v in row.items() if not k.startswith("in_scope_")}) for row in rows]
    return int(rows[0]["in_scope_online"] or 0), int(rows[0]["in_scope_offline"] or 0), listed


def unlinked_query(scope: Scope, up_to: int = COUNT_UP_TO):
    """The count of unlinked payments, stopping past `up_to`.

    The value is written into the SQL, not bound: only then may the database count from
    the partial index ix_payments_unlinked_office (its WHERE is these very terms)."""
    matching = (select(payments.c.id)
                .where(payments.c.link_status == literal("unlinked", literal_execute=True),
                       payments.c.voided_at.is_(None), scope.filter(payments.c.office))
                .limit(up_to + 1).subquery())
    return select(func.count()).select_from(matching)


def unlinked(conn: Connection, scope: Scope, up_to: int = COUNT_UP_TO) -> tuple[int, bool]:
    """(unlinked payments in scope up to `up_to`, whether there are more)."""
    counted = conn.execute(unlinked_query(scope, up_to)).scalar_one()
    return min(counted, up_to), counted > up_to


WAITING = (DeliveryStatus.PENDING, DeliveryStatus.UNROUTED)


def delivery_counts_query(scope: Scope):
    """Deliveries waiting or dead, counted by status within the viewer's offices.

    Read by status from ix_deliveries_status_agent: the delivered rows, nearly all of the
    table, are never read.  Scoped as the deliveries pages are (hub.delivery.listing), so
    pagoPA and bank payments' deliveries count in their office too."""
    return (select(deliveries.c.status, func.count()).select_from(deliveries)
            .where(deliveries.c.status.in_([*WAITING, DeliveryStatus.DEAD]), delivery_listing.in_scope(scope))
            .group_by(deliveries.c.status))


def delivery_counts(conn: Connection, scope: Scope) -> tuple[int, int]:
    """(backlog: waiting to be sent or routed, dead letters)."""
    counted = dict(conn.execute(delivery_counts_query(scope)).all())
    return sum(counted.get(status, 0) for status in WAITING), counted.get(DeliveryStatus.DEAD, 0)


def dashboard(conn: Connection, scope: Scope, day: dt.date) -> Dashboard:
    online, offline, states = agent_states(conn, scope)
    backlog, dead_letters = delivery_counts(conn, scope)
    waiting, more = unlinked(conn, scope, COUNT_UP_TO)
    return Dashboard(day=day, takings=takings(conn, scope, day), agents_online=online, agents_offline=offline,
                     agents=states, unlinked=waiting, unlinked_more=more, backlog=backlog, dead_letters=dead_letters)
