"""The fleet as the back office sees it: each agent with its office, presence, outbox and certificate.

An agent belongs to the office its certificate was issued for (hub/pki enrollment); an
agent with no certificate on this hub has no known office and is shown only to a viewer
of every office.  Every read takes the viewer's `Scope`, so an agent of another office
is answered like one that does not exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select

from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables import agents, events
from hub.store.tables_pki import agent_certificates
from hub.users.scope import Scope

STATUSES = ("online", "offline")

ORDERING = Ordering(columns={"agent_id": agents.c.agent_id, "last_seen": agents.c.last_seen,
                             "outbox_depth": agents.c.outbox_depth},
                    unique=agents.c.agent_id, default=Sort("agent_id"))


@dataclass(frozen=True)
class FleetFilter:
    office: str | None = None
    status: str | None = None           # online | offline


def _certificates():
    """Per agent: its office, the latest expiry of a certificate still valid, and whether all are revoked."""
    live = agent_certificates.c.revoked_at.is_(None)
    return (select(agent_certificates.c.agent_id, func.max(agent_certificates.c.office).label("office"),
                   func.max(agent_certificates.c.not_after).filter(live).label("cert_expires"),
                   func.count().filter(live).label("live_certificates"))
            .group_by(agent_certificates.c.agent_id).subquery("agent_certificates_of"))


def _query(scope: Scope) -> tuple[Select, Any]:
    certs = _certificates()
    query = (select(agents.c.agent_id, agents.c.online, agents.c.version, agents.c.mode, agents.c.last_seen,
                    agents.c.outbox_depth, agents.c.oldest_age_s, agents.c.incarnation, agents.c.state_at,
                    certs.c.office, certs.c.cert_expires, certs.c.live_certificates)
             .select_from(agents.outerjoin(certs, certs.c.agent_id == agents.c.agent_id)))
    if not scope.is_everything:
        query = query.where(scope.filter(certs.c.office))
    return query, certs


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"online": bool(row["online"]),
                  "revoked": row["office"] is not None and not row["live_certificates"]}


def fleet_page(conn: Connection, scope: Scope, wanted: FleetFilter, *, sort: str | None = None,
               cursor: str | None = None, limit: int = 50) -> Page:
    """One page of the agents in `scope`, filtered by office and status."""
    query, certs = _query(scope)
    if wanted.office:
        query = query.where(certs.c.office == wanted.office)
    if wanted.status in STATUSES:
        query = query.where(agents.c.online.is_(wanted.status == "online"))
    page = fetch_page(conn, query, ORDERING, sort=sort, cursor=cursor, limit=limit)
    return Page([_view(row) for row in page.rows], page.next_cursor, page.prev_cursor, page.sort)


def offices(conn: Connection, scope: Scope) -> list[str]:
    """The offices with an enrolled agent that `scope` may see (for the office filter)."""
    query = (select(agent_certificates.c.office).distinct().where(scope.filter(agent_certificates.c.office))
             .order_by(agent_certificates.c.office))
    return list(conn.execute(query).scalars())


def agent_in_scope(conn: Connection, scope: Scope, agent_id: str) -> dict[str, Any] | None:
    """One agent with its certificates and last diagnostics report, or None if unknown or out of scope."""
    query, _ = _query(scope)
    row = conn.execute(query.where(agents.c.agent_id == agent_id)).mappings().first()
    if row is None:
        return None
    agent = _view(dict(row))
    agent["certificates"] = [dict(r) for r in conn.execute(
        select(agent_certificates.c.serial, agent_certificates.c.office, agent_certificates.c.issued_at,
               agent_certificates.c.not_after, agent_certificates.c.kid, agent_certificates.c.revoked_at,
               agent_certificates.c.revoked_reason)
        .where(agent_certificates.c.agent_id == agent_id).order_by(agent_certificates.c.issued_at.desc())).mappings()]
    agent["diagnostics"] = last_diagnostics(conn, agent_id)
    return agent


def office_of(conn: Connection, agent_id: str) -> str | None:
    return conn.execute(select(func.max(agent_certificates.c.office))
                        .where(agent_certificates.c.agent_id == agent_id)).scalar()


def sees_agent(conn: Connection, scope: Scope, agent_id: str) -> bool:
    """Whether `scope` may see (and so act on) this agent; every-office scopes see every agent."""
    return scope.is_everything or scope.allows(office_of(conn, agent_id))


def last_diagnostics(conn: Connection, agent_id: str) -> dict[str, Any] | None:
    """The agent's latest diagnostics report as stored by the ingest: {time, request_id, info}."""
    row = conn.execute(select(events.c.time, events.c.envelope)
                       .where(events.c.agent_id == agent_id, events.c.type == "diagnostics.report")
                       .order_by(events.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    body = json.loads(row.envelope).get("body") or {}
    return {"time": row.time, "request_id": body.get("request_id"), "info": body.get("info") or {}}


def visible(conn: Connection, scope: Scope, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (each with an `agent_id`) whose agent `scope` may see."""
    if scope.is_everything:
        return rows
    office = dict(conn.execute(select(agent_certificates.c.agent_id, func.max(agent_certificates.c.office))
                               .group_by(agent_certificates.c.agent_id)).all())
    return [row for row in rows if scope.allows(office.get(row["agent_id"]))]
