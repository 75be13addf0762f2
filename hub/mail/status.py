"""What the send requests have done: counts per state, the messages that need a look, an order's messages.

Read by `counterpay hub notices status` and the console's /notices/mail pages.  With
`offices`, only messages of orders of those offices are counted and shown (an operator
sees their offices' part of a request).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from hub.mail.ledger import PROBLEM_STATES, STATES
from hub.store.tables import orders
from hub.store.tables_mail import notice_messages, notice_send_requests


def _scoped(query, offices: frozenset[str] | None):
    if offices is None:
        return query
    return query.join(orders, orders.c.order_id == notice_messages.c.order_id).where(
        orders.c.office.in_(sorted(offices)))


def state_counts(conn: Connection, request_ids: list[str], offices: frozenset[str] | None = None
                 ) -> dict[str, dict[str, int]]:
    """request id → {state: count} with every state present (0 where none)."""
    counts = {request_id: dict.fromkeys(STATES, 0) for request_id in request_ids}
    if not request_ids:
        return counts
    query = _scoped(select(notice_messages.c.request_id, notice_messages.c.state, func.count())
                    .select_from(notice_messages), offices)
    query = query.where(notice_messages.c.request_id.in_(request_ids)).group_by(
        notice_messages.c.request_id, notice_messages.c.state)
    for request_id, state, n in conn.execute(query):
        counts[request_id][state] = n
    return counts


def requests(conn: Connection, offices: frozenset[str] | None = None, limit: int = 50,
             request_id: str | None = None) -> list[dict[str, Any]]:
    """The newest send requests (those with a message the viewer may see), each with its counts."""
    query = select(notice_send_requests).order_by(notice_send_requests.c.created_at.desc(),
                                                  notice_send_requests.c.request_id.desc()).limit(limit)
    if request_id is not None:
        query = query.where(notice_send_requests.c.request_id == request_id)
    if offices is not None:
        visible = _scoped(select(notice_messages.c.request_id).select_from(notice_messages), offices)
        query = query.where(notice_send_requests.c.request_id.in_(visible))
    found = [dict(row) for row in conn.execute(query).mappings()]
    counts = state_counts(conn, [row["request_id"] for row in found], offices)
    for row in found:
        row["counts"] = counts[row["request_id"]]
        row["active"] = bool(row["counts"]["queued"] or row["counts"]["sending"])
    return found


def one_request(conn: Connection, request_id: str, offices: frozenset[str] | None = None) -> dict[str, Any] | None:
    found = requests(conn, offices, limit=1, request_id=request_id)
    return found[0] if found else None


def messages(conn: Connection, request_id: str, states=PROBLEM_STATES, offices: frozenset[str] | None = None,
             limit: int = 500) -> list[dict[str, Any]]:
    """The request's messages in `states` (by default those a person should look at), oldest first."""
    query = _scoped(select(notice_messages).select_from(notice_messages), offices).where(
        notice_messages.c.request_id == request_id, notice_messages.c.state.in_(list(states))
    ).order_by(notice_messages.c.id).limit(limit)
    return [dict(row) for row in conn.execute(query).mappings()]


def order_messages(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    """Every notice e-mail of one order, newest first (its page shows them)."""
    query = (select(notice_messages).where(notice_messages.c.order_id == order_id)
             .order_by(notice_messages.c.id.desc()))
    return [dict(row) for row in conn.execute(query).mappings()]
