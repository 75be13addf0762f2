"""Catalogue versions: drafts are added, one is published (the previous one is
superseded), and the published document goes out retained on
`cp/v1/broadcast/catalogue` as canonical JSON after the commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from protocol.canonical import canonical_bytes
from hub.audit.log import record
from hub.catalogue.model import Catalogue
from hub.errors import Conflict, NotFound
from hub.store.tables import catalogue_versions
from hub.store.timeutil import now_iso


class CatalogueError(ValueError):
    """A version that does not exist or cannot be published."""


class VersionNotFound(CatalogueError, NotFound):
    """No catalogue version has this number."""


class VersionSuperseded(CatalogueError, Conflict):
    """A newer version was published after this one."""


def add_draft(conn: Connection, catalogue: Catalogue, actor: str) -> int:
    version = (conn.execute(select(func.max(catalogue_versions.c.version))).scalar() or 0) + 1
    conn.execute(catalogue_versions.insert().values(version=version, status="draft",
                                                    document=catalogue.model_dump(mode="json"),
                                                    created_at=now_iso(), created_by=actor))
    record(conn, actor, "catalogue.draft", f"catalogue:{version}",
           {"price_lists": [p.code for p in catalogue.price_lists]})
    return version


def publish(conn: Connection, version: int, actor: str) -> dict[str, Any]:
    row = conn.execute(select(catalogue_versions).where(catalogue_versions.c.version == version)).mappings().first()
    if row is None:
        raise VersionNotFound(f"catalogue version {version} does not exist")
    if row["status"] == "superseded":
        raise VersionSuperseded(f"catalogue version {version} was superseded; publish a new draft instead")
    now = now_iso()
    conn.execute(catalogue_versions.update().where(catalogue_versions.c.status == "published",
                                                   catalogue_versions.c.version != version)
                 .values(status="superseded"))
    if row["status"] != "published":
        conn.execute(catalogue_versions.update().where(catalogue_versions.c.version == version)
                     .values(status="published", published_at=now))
        record(conn, actor, "catalogue.publish", f"catalogue:{version}", {})
    return current(conn)


def wire_document(row: Any) -> dict[str, Any]:
    return {"version": row["version"], "published_at": row["published_at"]} | dict(row["document"])


def current(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(select(catalogue_versions).where(catalogue_versions.c.status == "published")).mappings().first()
    return wire_document(row) if row else None


def payload(document: dict[str, Any]) -> bytes:
    return canonical_bytes(document)


def versions(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(catalogue_versions.c.version, catalogue_versions.c.status,
                               catalogue_versions.c.created_at, catalogue_versions.c.created_by,
                               catalogue_versions.c.published_at).order_by(catalogue_versions.c.version))
    return [dict(r) for r in rows.mappings()]


def get_version(conn: Connection, version: int) -> dict[str, Any] | None:
    row = conn.execute(select(catalogue_versions).where(catalogue_versions.c.version == version)).mappings().first()
    return dict(row) if row else None
