"""End-of-day reports within a viewer's office scope, a keyset page at a time, for the API and the console.

The default order is `-attention`: mismatches first, then the newest batch first.  A
report belongs to the office it names (or its agent's enrolled office); one with no
known office is shown only to a viewer of every office.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from hub.finance.eod.compare import MISMATCH
from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables_eod import eod_reports
from hub.store.timeutil import iso
from hub.users.scope import Scope

ORDERING = Ordering(columns={"attention": eod_reports.c.attention, "closed_at": eod_reports.c.closed_at},
                    unique=eod_reports.c.id, default=Sort("attention", descending=True))


@dataclass(frozen=True)
class EodFilter:
    office: str | None = None
    agent: str | None = None
    day: dt.date | None = None          # the UTC day the batch was closed
    status: str | None = None           # matched | mismatch


def _query(scope: Scope, wanted: EodFilter):
    query = select(eod_reports).where(scope.filter(eod_reports.c.office))
    if wanted.office:
        query = query.where(eod_reports.c.office == wanted.office)
    if wanted.agent:
        query = query.where(eod_reports.c.agent_id == wanted.agent)
    if wanted.status:
        query = query.where(eod_reports.c.status == wanted.status)
    if wanted.day:
        start = dt.datetime.combine(wanted.day, dt.time(), dt.timezone.utc)
        query = query.where(eod_reports.c.closed_at >= iso(start),
                            eod_reports.c.closed_at < iso(start + dt.timedelta(days=1)))
    return query


def report_view(row: dict[str, Any]) -> dict[str, Any]:
    """A report as the API and the console show it: both figures side by side."""
    body = row["body"]
    return {
        "id": row["id"], "agent_id": row["agent_id"], "office": row["office"], "terminal_id": row["terminal_id"],
        "batch_id": row["batch_id"], "batch_no": row["batch_no"], "currency": row["currency"],
        "opened_at": row["opened_at"], "closed_at": row["closed_at"], "received_at": row["received_at"],
        "status": row["status"],
        "reported": {"source": row["reported_source"], "count": row["reported_count"],
                     "total_minor": row["reported_total_minor"]},
        "hub": {"count": row["hub_count"], "total_minor": row["hub_total_minor"]},
        "journal": body.get("journal") or {},
        "per_scheme": body.get("per_scheme"),
        "agent_mismatch": bool(body.get("mismatch")),
        "differences": row["differences"] or [],
        "evaluated_at": row["evaluated_at"],
    }


def report_page(conn: Connection, scope: Scope, wanted: EodFilter, *, sort: str | None = None,
                cursor: str | None = None, limit: int = 50) -> Page:
    page = fetch_page(conn, _query(scope, wanted), ORDERING, sort=sort, cursor=cursor, limit=limit)
    return Page([report_view(row) | {"attention": row["attention"]} for row in page.rows],
                page.next_cursor, page.prev_cursor, page.sort)


def count(conn: Connection, scope: Scope, wanted: EodFilter) -> int:
    return conn.execute(select(func.count()).select_from(_query(scope, wanted).subquery())).scalar_one()


def mismatch_count(conn: Connection, scope: Scope) -> int:
    """Reports whose batch does not match the hub's payments now (the dashboard's and /metrics' figure)."""
    return conn.execute(select(func.count()).select_from(eod_reports)
                        .where(eod_reports.c.status == MISMATCH, scope.filter(eod_reports.c.office))).scalar_one()


def offices(conn: Connection, scope: Scope) -> list[str]:
    """The offices with reports, for the console's filter."""
    return list(conn.execute(select(eod_reports.c.office).distinct()
                             .where(eod_reports.c.office.is_not(None), scope.filter(eod_reports.c.office))
                             .order_by(eod_reports.c.office)).scalars())
