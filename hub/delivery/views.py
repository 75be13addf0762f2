"""What the API shows of deliveries: lists, one delivery with its attempts, and why it waits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Connection, select

from hub.store.tables_delivery import case_systems, deliveries, delivery_attempts
from protocol.domain import DeliveryStatus

LIST_COLUMNS = [c for c in deliveries.c if c.name not in ("payload", "lease_owner")]


def _why_waiting(row: Any, systems: dict[str, Any]) -> str | None:
    if row["status"] == DeliveryStatus.UNROUTED:
        return "no case system's reference patterns match this payment; register one or fix the patterns"
    if row["status"] != DeliveryStatus.PENDING:
        return None
    system = systems.get(row["case_system"])
    if system is not None and not system["enabled"]:
        return f"case system {row['case_system']} is disabled: {system['disabled_reason'] or 'by an admin'}"
    if row["attempts"]:
        return f"retrying after {row['attempts']} failed attempt(s); last: {row['last_error']}"
    return None


def list_deliveries(conn: Connection, *, status: str | None = None, case_system: str | None = None,
                    since: str | None = None, until: str | None = None, limit: int = 100,
                    offset: int = 0, where: ColumnElement[bool] | None = None) -> list[dict[str, Any]]:
    """Newest first; `where` narrows further (the caller's office scope, hub.delivery.listing.in_scope)."""
    query = select(*LIST_COLUMNS).order_by(deliveries.c.id.desc()).limit(limit).offset(offset)
    if where is not None:
        query = query.where(where)
    if status:
        query = query.where(deliveries.c.status == status)
    if case_system:
        query = query.where(deliveries.c.case_system == case_system)
    if since:
        query = query.where(deliveries.c.created_at >= since)
    if until:
        query = query.where(deliveries.c.created_at < until)
    systems = {r["name"]: r for r in conn.execute(select(case_systems)).mappings()}
    out = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        item["waiting"] = _why_waiting(row, systems)
        out.append(item)
    return out


def delivery_detail(conn: Connection, event_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(deliveries).where(deliveries.c.event_id == event_id)).mappings().first()
    if row is None:
        return None
    systems = {r["name"]: r for r in conn.execute(select(case_systems)).mappings()}
    item = {k: v for k, v in row.items() if k != "lease_owner"}
    item["payload"] = json.loads(row["payload"])
    item["waiting"] = _why_waiting(row, systems)
    item["attempt_log"] = [dict(a) for a in conn.execute(
        select(delivery_attempts).where(delivery_attempts.c.delivery_id == row["id"])
        .order_by(delivery_attempts.c.id)).mappings()]
    return item
