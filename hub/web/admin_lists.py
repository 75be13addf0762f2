"""The admin pages' lists, a keyset page at a time: users, API tokens, enrollment tokens,
catalogue versions and case systems.

These lists are short today, but they page like every other list (hub/store/paging.py),
so a hub with thousands of enrollment tokens answers page 100 as fast as page 1, and
their filters and sort live in the URL (hub/web/listing.py `link`).  Each sort key is the
table's primary key or is broken by it; each filter is a column of the table.

    >>> sorted(USER_ORDERING.columns), str(USER_ORDERING.default)
    (['created_at', 'username'], 'username')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select

from hub.pki.enrollment import describe_token
from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables import api_tokens, catalogue_versions
from hub.store.tables_delivery import case_systems
from hub.store.tables_pki import enrollment_tokens
from hub.store.tables_users import users
from hub.users.scope import Scope
from hub.store.timeutil import iso
from hub.users.model import User

USER_ORDERING = Ordering(columns={"username": users.c.username, "created_at": users.c.created_at},
                         unique=users.c.username, default=Sort("username"))
TOKEN_ORDERING = Ordering(columns={"id": api_tokens.c.id, "name": api_tokens.c.name},
                          unique=api_tokens.c.id, default=Sort("id", descending=True))
ENROLLMENT_ORDERING = Ordering(columns={"token_id": enrollment_tokens.c.token_id,
                                        "expires_at": enrollment_tokens.c.expires_at},
                               unique=enrollment_tokens.c.token_id, default=Sort("token_id", descending=True))
VERSION_ORDERING = Ordering(columns={"version": catalogue_versions.c.version}, unique=catalogue_versions.c.version,
                            default=Sort("version", descending=True))
CASE_SYSTEM_ORDERING = Ordering(columns={"name": case_systems.c.name, "priority": case_systems.c.priority},
                                unique=case_systems.c.name, default=Sort("priority"))

USER_STATUSES = ("enabled", "disabled")
TOKEN_STATUSES = ("active", "revoked")
ENROLLMENT_STATUSES = ("open", "used", "expired", "revoked")
VERSION_STATUSES = ("draft", "published", "superseded")
CASE_SYSTEM_STATUSES = ("enabled", "disabled")


@dataclass(frozen=True)
class AdminFilter:
    """What a list is narrowed to; an empty value (or an unknown status) narrows nothing."""
    role: str = ""
    status: str = ""
    office: str = ""


NO_FILTER = AdminFilter()


def _paged(conn: Connection, query, ordering: Ordering, sort: str | None, cursor: str | None, limit: int) -> Page:
    return fetch_page(conn, query, ordering, sort=sort or None, cursor=cursor or None, limit=limit)


def users_page(conn: Connection, wanted: AdminFilter, *, sort: str | None = None, cursor: str | None = None,
               limit: int = 50) -> Page:
    query = select(users)
    if wanted.role:
        query = query.where(users.c.role == wanted.role)
    if wanted.status in USER_STATUSES:
        disabled = users.c.disabled_at.is_not(None)
        query = query.where(disabled if wanted.status == "disabled" else ~disabled)
    page = _paged(conn, query, USER_ORDERING, sort, cursor, limit)
    return Page([User.from_row(row) for row in page.rows], page.next_cursor, page.prev_cursor, page.sort)


def api_tokens_page(conn: Connection, wanted: AdminFilter, *, sort: str | None = None, cursor: str | None = None,
                    limit: int = 50) -> Page:
    query = select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role, api_tokens.c.case_system,
                   api_tokens.c.offices, api_tokens.c.created_at, api_tokens.c.created_by, api_tokens.c.revoked_at)
    if wanted.role:
        query = query.where(api_tokens.c.role == wanted.role)
    if wanted.status in TOKEN_STATUSES:
        revoked = api_tokens.c.revoked_at.is_not(None)
        query = query.where(revoked if wanted.status == "revoked" else ~revoked)
    return _paged(conn, query, TOKEN_ORDERING, sort, cursor, limit)


def enrollment_tokens_page(conn: Connection, scope: Scope, wanted: AdminFilter, *, sort: str | None = None,
                           cursor: str | None = None, limit: int = 50, now: dt.datetime | None = None) -> Page:
    """Enrollment tokens of the viewer's offices, by office and status (never the tokens themselves)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    t = enrollment_tokens
    query = select(t).where(scope.filter(t.c.office))
    if wanted.office:
        query = query.where(t.c.office == wanted.office)
    unused = t.c.revoked_at.is_(None) & t.c.used_at.is_(None)
    status = {"revoked": t.c.revoked_at.is_not(None), "used": t.c.revoked_at.is_(None) & t.c.used_at.is_not(None),
              "expired": unused & (t.c.expires_at <= iso(now)), "open": unused & (t.c.expires_at > iso(now))}
    if wanted.status in status:
        query = query.where(status[wanted.status])
    page = _paged(conn, query, ENROLLMENT_ORDERING, sort, cursor, limit)
    return Page([describe_token(row, now) for row in page.rows], page.next_cursor, page.prev_cursor, page.sort)


def enrollment_offices(conn: Connection, scope: Scope) -> list[str]:
    """The offices that have an enrollment token the viewer may see (for the office filter)."""
    query = (select(enrollment_tokens.c.office).distinct().where(scope.filter(enrollment_tokens.c.office))
             .order_by(enrollment_tokens.c.office))
    return list(conn.execute(query).scalars())


SHARED_CATALOGUE = "-"
"""The office filter's value for the shared catalogue's versions."""


def catalogue_versions_page(conn: Connection, wanted: AdminFilter, *, sort: str | None = None,
                            cursor: str | None = None, limit: int = 50, scope: Scope | None = None) -> Page:
    """Versions of the shared catalogue and of the offices `scope` allows; `wanted.office` narrows to
    one office's (SHARED_CATALOGUE: the shared ones)."""
    query = select(catalogue_versions.c.version, catalogue_versions.c.status, catalogue_versions.c.office,
                   catalogue_versions.c.created_at, catalogue_versions.c.created_by, catalogue_versions.c.published_at)
    if wanted.status in VERSION_STATUSES:
        query = query.where(catalogue_versions.c.status == wanted.status)
    if wanted.office == SHARED_CATALOGUE:
        query = query.where(catalogue_versions.c.office.is_(None))
    elif wanted.office:
        query = query.where(catalogue_versions.c.office == wanted.office)
    if scope is not None and not scope.is_everything:
        query = query.where(catalogue_versions.c.office.is_(None) | scope.filter(catalogue_versions.c.office))
    return _paged(conn, query, VERSION_ORDERING, sort, cursor, limit)


def case_systems_page(conn: Connection, wanted: AdminFilter, *, sort: str | None = None, cursor: str | None = None,
                      limit: int = 50) -> Page:
    query = select(case_systems)
    if wanted.status in CASE_SYSTEM_STATUSES:
        query = query.where(case_systems.c.enabled.is_(wanted.status == "enabled"))
    return _paged(conn, query, CASE_SYSTEM_ORDERING, sort, cursor, limit)
