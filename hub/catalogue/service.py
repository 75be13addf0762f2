"""Catalogue versions: drafts are added, one is published (the previous one of the same scope is
superseded), and the published document goes out retained after the commit.

A version belongs to a scope: the shared catalogue (`office` None), on
`cp/v1/broadcast/catalogue`, or one office's own fee dictionaries, on
`cp/v1/broadcast/catalogue/<office>` (topics.office_catalogue), which that office's desks
read beside the shared one.  Each scope has at most one published version; version numbers
are one sequence across scopes.  Orders of an office are priced from `effective(conn, office)`:
the office's price lists, then the shared ones it does not replace (a list with the same code).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from protocol.canonical import canonical_bytes
from protocol.wire import topics
from hub.audit.log import record
from hub.catalogue.model import Catalogue
from hub.errors import Conflict, NotFound
from hub.store.tables import catalogue_versions
from hub.store.timeutil import now_iso
from hub.users.scope import Scope


class CatalogueError(ValueError):
    """A version that does not exist or cannot be published."""


class VersionNotFound(CatalogueError, NotFound):
    """No catalogue version has this number."""


class VersionSuperseded(CatalogueError, Conflict):
    """A newer version was published after this one."""


def _scope_of(office: str | None):
    return catalogue_versions.c.office.is_(None) if office is None else catalogue_versions.c.office == office


def topic(office: str | None) -> str:
    """The retained topic a scope's published version goes out on."""
    return topics.CATALOGUE if office is None else topics.office_catalogue(office)


def add_draft(conn: Connection, catalogue: Catalogue, actor: str, office: str | None = None) -> int:
    version = (conn.execute(select(func.max(catalogue_versions.c.version))).scalar() or 0) + 1
    conn.execute(catalogue_versions.insert().values(version=version, status="draft", office=office,
                                                    document=catalogue.model_dump(mode="json"),
                                                    created_at=now_iso(), created_by=actor))
    record(conn, actor, "catalogue.draft", f"catalogue:{version}",
           {"price_lists": [p.code for p in catalogue.price_lists], "office": office,
            "handling_fees": [f.price_list for f in catalogue.handling_fees]})
    return version


def publish(conn: Connection, version: int, actor: str) -> dict[str, Any]:
    """Publish a version in its own scope; returns that scope's published document (its
    `office` says which scope, and so which topic it goes out on)."""
    row = conn.execute(select(catalogue_versions).where(catalogue_versions.c.version == version)).mappings().first()
    if row is None:
        raise VersionNotFound(f"catalogue version {version} does not exist")
    if row["status"] == "superseded":
        raise VersionSuperseded(f"catalogue version {version} was superseded; publish a new draft instead")
    now = now_iso()
    office = row["office"]
    conn.execute(catalogue_versions.update().where(catalogue_versions.c.status == "published", _scope_of(office),
                                                   catalogue_versions.c.version != version)
                 .values(status="superseded"))
    if row["status"] != "published":
        conn.execute(catalogue_versions.update().where(catalogue_versions.c.version == version)
                     .values(status="published", published_at=now))
        record(conn, actor, "catalogue.publish", f"catalogue:{version}", {"office": office})
    return current(conn, office)


def version_office(conn: Connection, version: int) -> tuple[bool, str | None]:
    """(whether the version exists, its office)."""
    row = conn.execute(select(catalogue_versions.c.office).where(catalogue_versions.c.version == version)).first()
    return (row is not None, row[0] if row else None)


def wire_document(row: Any) -> dict[str, Any]:
    document = {"version": row["version"], "published_at": row["published_at"]} | dict(row["document"])
    if row.get("office") is not None:
        document["office"] = row["office"]
    return document


def current(conn: Connection, office: str | None = None) -> dict[str, Any] | None:
    """The published version of one scope: the shared catalogue, or `office`'s own."""
    row = conn.execute(select(catalogue_versions).where(catalogue_versions.c.status == "published",
                                                        _scope_of(office))).mappings().first()
    return wire_document(row) if row else None


def published_offices(conn: Connection) -> list[dict[str, Any]]:
    """Every office's published catalogue (for the retained topics at start-up)."""
    rows = conn.execute(select(catalogue_versions).where(catalogue_versions.c.status == "published",
                                                         catalogue_versions.c.office.is_not(None))
                        .order_by(catalogue_versions.c.office)).mappings()
    return [wire_document(row) for row in rows]


def effective(conn: Connection, office: str | None) -> dict[str, Any] | None:
    """What an office's orders are priced from: its price lists and handling fees, then the shared
    ones it does not replace.  Without an office (or an office catalogue), the shared one."""
    shared = current(conn)
    own = current(conn, office) if office else None
    if own is None:
        return shared
    if shared is None:
        return own
    own_lists = {p["code"] for p in own["price_lists"]}
    own_fees = {f["price_list"] for f in own.get("handling_fees") or []}
    return {**shared, "office": office,
            "price_lists": own["price_lists"] + [p for p in shared["price_lists"] if p["code"] not in own_lists],
            "handling_fees": (own.get("handling_fees") or [])
            + [f for f in shared.get("handling_fees") or [] if f["price_list"] not in own_fees]}


def payload(document: dict[str, Any]) -> bytes:
    return canonical_bytes(document)


def versions(conn: Connection, scope: Scope | None = None, office: str | None = None,
             shared_only: bool = False) -> list[dict[str, Any]]:
    """Versions the scope may see (the shared ones and its offices'); only `office`'s, or only
    the shared ones, when asked."""
    scope = scope or Scope.everything()
    query = select(catalogue_versions.c.version, catalogue_versions.c.status, catalogue_versions.c.office,
                   catalogue_versions.c.created_at, catalogue_versions.c.created_by,
                   catalogue_versions.c.published_at).order_by(catalogue_versions.c.version)
    if office is not None:
        query = query.where(catalogue_versions.c.office == office)
    elif shared_only:
        query = query.where(catalogue_versions.c.office.is_(None))
    if not scope.is_everything:
        query = query.where(catalogue_versions.c.office.is_(None) | scope.filter(catalogue_versions.c.office))
    return [dict(r) for r in conn.execute(query).mappings()]


def get_version(conn: Connection, version: int) -> dict[str, Any] | None:
    row = conn.execute(select(catalogue_versions).where(catalogue_versions.c.version == version)).mappings().first()
    return dict(row) if row else None
