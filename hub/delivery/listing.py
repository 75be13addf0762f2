"""Deliveries within a viewer's office scope: the backlog and dead letters a page at a time, and one delivery.

A delivery belongs to its agent's office (the office of the agent's certificate).  A
payment reconciliation found in a pagoPA flow or on a bank statement was taken by no
agent (`pagopa`, `bank`): its delivery belongs to the office of that payment, whose id
is the delivery's event id (hub/finance/reconcile/external.py).  Any other delivery from
an agent with no known office is shown only to a viewer of every office.  The detail of
a delivery outside the scope is answered like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, true

from protocol.domain import DeliveryStatus
from hub.delivery import views
from hub.finance.reconcile.keys import BANK_AGENT, PAGOPA_AGENT
from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables import payments
from hub.store.tables_delivery import deliveries
from hub.store.tables_pki import agent_certificates
from hub.users.scope import Scope

BACKLOG = (DeliveryStatus.PENDING, DeliveryStatus.UNROUTED)
DEAD = (DeliveryStatus.DEAD,)
EXTERNAL_AGENTS = (PAGOPA_AGENT, BANK_AGENT)     # the agent ids of payments reconciliation made

ORDERING = Ordering(columns={"created_at": deliveries.c.created_at, "attempts": deliveries.c.attempts,
                             "last_attempt_at": deliveries.c.last_attempt_at},
                    unique=deliveries.c.id, default=Sort("created_at", descending=True))


@dataclass(frozen=True)
class DeliveryFilter:
    statuses: tuple[str, ...]
    case_system: str | None = None
    since: str | None = None            # RFC 3339, inclusive
    until: str | None = None            # RFC 3339, exclusive


def agents_of(scope: Scope):
    """A subquery of the agent ids whose office `scope` allows."""
    return (select(agent_certificates.c.agent_id).group_by(agent_certificates.c.agent_id)
            .having(scope.filter(func.max(agent_certificates.c.office))))


def in_scope(scope: Scope) -> ColumnElement[bool]:
    """WHERE clause: the delivery's agent, or for a payment no agent took its payment, is of an
    office `scope` allows."""
    if scope.is_everything:
        return true()
    # One probe of uq_payments_agent_payment per delivery of those two agents, none for the others.
    external = and_(deliveries.c.agent_id.in_(EXTERNAL_AGENTS),
                    exists().where(payments.c.agent_id == deliveries.c.agent_id,
                                   payments.c.payment_id == deliveries.c.event_id, scope.filter(payments.c.office)))
    return or_(deliveries.c.agent_id.in_(agents_of(scope)), external)


def delivery_page(conn: Connection, scope: Scope, wanted: DeliveryFilter, *, sort: str | None = None,
                  cursor: str | None = None, limit: int = 50) -> Page:
    query = select(*views.LIST_COLUMNS).where(deliveries.c.status.in_(wanted.statuses), in_scope(scope))
    if wanted.case_system:
        query = query.where(deliveries.c.case_system == wanted.case_system)
    if wanted.since:
        query = query.where(deliveries.c.created_at >= wanted.since)
    if wanted.until:
        query = query.where(deliveries.c.created_at < wanted.until)
    return fetch_page(conn, query, ORDERING, sort=sort, cursor=cursor, limit=limit)


def sees_delivery(conn: Connection, scope: Scope, event_id: str) -> bool:
    found = conn.execute(select(deliveries.c.id).where(deliveries.c.event_id == event_id, in_scope(scope))).first()
    return found is not None


def delivery_in_scope(conn: Connection, scope: Scope, event_id: str) -> dict[str, Any] | None:
    """One delivery with its payload and attempts, or None if unknown or of another office."""
    if not sees_delivery(conn, scope, event_id):
        return None
    return views.delivery_detail(conn, event_id)


def case_system_names(conn: Connection) -> list[str]:
    return list(conn.execute(select(deliveries.c.case_system).distinct()
                             .where(deliveries.c.case_system.is_not(None)).order_by(deliveries.c.case_system))
                .scalars())
