"""Replay confirmations by event id or time range, and route the unrouted ones.

Replay puts a confirmation back in the queue with the *same* webhook id and body (the
case system deduplicates by the id), starts a fresh 72-hour retry window and resets
its attempt count for the backoff; its attempt history stays.  By default a time-range
replay takes dead letters (and unrouted rows); `include_delivered` adds confirmations
that were accepted (for a case system that lost data).  Rows still pending are left
alone: they are on their way.  Every replay is written to the audit log.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.casesys import registry
from hub.delivery import queue, wakeup
from hub.delivery.clock import stamp
from hub.delivery.listing import in_scope
from hub.store.tables_delivery import deliveries
from hub.users.scope import Scope
from protocol.domain import DeliveryStatus


def _route(conn: Connection, row: Any, now_s: str) -> str | None:
    """Give an unrouted row its case system if one matches now; returns its name."""
    data = json.loads(row["payload"])["data"]
    target = registry.choose(conn, registry.reference_values(data.get("payment") or {}, data.get("link") or {}))
    if target is None:
        return None
    conn.execute(deliveries.update().where(deliveries.c.id == row["id"]).values(
        case_system=target["name"], webhook_id=queue.webhook_id_for(row["event_id"], target["name"]),
        status=DeliveryStatus.PENDING, next_attempt_at=now_s, window_started_at=now_s, attempts=0))
    return target["name"]


def route_unrouted(conn: Connection, actor: str, now: float | None = None) -> int:
    """After the registry changed: route every unrouted confirmation that matches now."""
    now_s = stamp(time.time() if now is None else now)
    rows = conn.execute(select(deliveries).where(deliveries.c.status == DeliveryStatus.UNROUTED)
                        .order_by(deliveries.c.id)).mappings().all()
    routed = sum(1 for row in rows if _route(conn, row, now_s))
    if routed:
        record(conn, actor, "delivery.route", "deliveries", {"routed": routed})
        wakeup.announce(conn)
    return routed


def route_recent(conn: Connection, since: str, actor: str = "delivery-worker", now: float | None = None) -> int:
    """Route unrouted confirmations queued since `since` (the registry cache's blind spot)."""
    now_s = stamp(time.time() if now is None else now)
    rows = conn.execute(select(deliveries).where(deliveries.c.status == DeliveryStatus.UNROUTED,
                                                 deliveries.c.created_at >= since)).mappings().all()
    routed = sum(1 for row in rows if _route(conn, row, now_s))
    if routed:
        record(conn, actor, "delivery.route", "deliveries", {"routed": routed, "queued_since": since})
        wakeup.announce(conn)
    return routed


def replay(conn: Connection, *, actor: str, event_ids: list[str] | None = None, since: str | None = None,
           until: str | None = None, case_system: str | None = None, include_delivered: bool = False,
           scope: Scope | None = None, now: float | None = None) -> dict[str, Any]:
    """Replay by event ids, or by time range; only deliveries of the offices in `scope` (default: all)."""
    now_s = stamp(time.time() if now is None else now)
    query = select(deliveries).order_by(deliveries.c.id)
    if scope is not None and not scope.is_everything:
        # An event of another office is not found, as if it did not exist.
        query = query.where(in_scope(scope))
    if event_ids:
        query = query.where(deliveries.c.event_id.in_(event_ids))
    else:
        statuses = [DeliveryStatus.DEAD, DeliveryStatus.UNROUTED] + (
            [DeliveryStatus.DELIVERED] if include_delivered else [])
        query = query.where(deliveries.c.status.in_(statuses))
        if since:
            query = query.where(deliveries.c.created_at >= since)
        if until:
            query = query.where(deliveries.c.created_at < until)
    if case_system:
        query = query.where(deliveries.c.case_system == case_system)
    rows = conn.execute(query).mappings().all()
    result: dict[str, Any] = {"replayed": [], "already_pending": [], "still_unrouted": [], "not_found": []}
    for row in rows:
        if row["status"] == DeliveryStatus.PENDING:
            result["already_pending"].append(row["event_id"])
        elif row["status"] == DeliveryStatus.UNROUTED:
            if _route(conn, row, now_s):
                result["replayed"].append(row["event_id"])
            else:
                result["still_unrouted"].append(row["event_id"])
        else:
            conn.execute(deliveries.update().where(deliveries.c.id == row["id"]).values(
                status=DeliveryStatus.PENDING, next_attempt_at=now_s, window_started_at=now_s, attempts=0,
                dead_at=None, delivered_at=None, replays=row["replays"] + 1, lease_owner=None, lease_until=None))
            result["replayed"].append(row["event_id"])
    if event_ids:
        found = {row["event_id"] for row in rows}
        result["not_found"] = [e for e in event_ids if e not in found]
    record(conn, actor, "delivery.replay", f"case_system:{case_system}" if case_system else "deliveries",
           {"event_ids": event_ids, "since": since, "until": until, "include_delivered": include_delivered,
            "replayed": len(result["replayed"]), "still_unrouted": len(result["still_unrouted"])})
    if result["replayed"]:
        wakeup.announce(conn)
    return result
