"""Searching the audit log a page at a time: by actor, action, subject and time, newest first.

Actor and subject match exactly or, ending in `*`, by prefix (`user:*`, `agent:desk-*`);
an action matches exactly or by its family (`agent.` finds agent.revoke and
agent.diagnostics).  Pages go by the row's sequence number (hub.store.paging).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, select

from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables import audit_log

ORDERING = Ordering(columns={"seq": audit_log.c.seq}, unique=audit_log.c.seq, default=Sort("seq", descending=True))


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: str | None = None            # RFC 3339, inclusive
    until: str | None = None            # RFC 3339, exclusive


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(column: Column, wanted: str, *, family: bool = False):
    if wanted.endswith("*"):
        return column.like(_escape(wanted[:-1]) + "%", escape="\\")
    if family and wanted.endswith("."):
        return column.like(_escape(wanted) + "%", escape="\\")
    return column == wanted


def audit_page(conn: Connection, wanted: AuditFilter, *, sort: str | None = None, cursor: str | None = None,
               limit: int = 50) -> Page:
    query = select(audit_log.c.seq, audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.subject,
                   audit_log.c.details)
    if wanted.actor:
        query = query.where(_matches(audit_log.c.actor, wanted.actor))
    if wanted.action:
        query = query.where(_matches(audit_log.c.action, wanted.action, family=True))
    if wanted.subject:
        query = query.where(_matches(audit_log.c.subject, wanted.subject))
    if wanted.since:
        query = query.where(audit_log.c.at >= wanted.since)
    if wanted.until:
        query = query.where(audit_log.c.at < wanted.until)
    page = fetch_page(conn, query, ORDERING, sort=sort, cursor=cursor, limit=limit)
    rows: list[dict[str, Any]] = [row | {"details": json.loads(row["details"])} for row in page.rows]
    return Page(rows, page.next_cursor, page.prev_cursor, page.sort)
