"""Versioned schema migrations, applied in order when the database is opened.

Each module here is named `NNNN_name.py` and defines `upgrade(conn) -> None` in
portable SQLAlchemy Core.  The applied versions are recorded in `schema_version`.
A migration, once released, never changes: a new column is a new migration.
Numbers are shared by the hub's areas: 0001 core, 0002 delivery, 0003 pki.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import re

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, select, text

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+$")

# Kept off the shared metadata: it must exist before any migration runs.
schema_version = Table(
    "schema_version", MetaData(),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(40), nullable=False),
)


def available() -> list[tuple[int, str]]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        match = _NAME.match(module.name)
        if match:
            found.append((int(match.group(1)), module.name))
    found.sort()
    versions = [v for v, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number: {[n for _, n in found]}")
    return found


def apply(conn: Connection) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied."""
    if conn.dialect.name == "postgresql":
        # Several hub workers may start at once: one migrates, the others wait.
        conn.execute(text("SELECT pg_advisory_xact_lock(72210531)"))
    schema_version.create(conn, checkfirst=True)
    done = set(conn.execute(select(schema_version.c.version)).scalars())
    applied = []
    for version, name in available():
        if version in done:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        module.upgrade(conn)
        conn.execute(schema_version.insert().values(
            version=version, name=name,
            applied_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
        applied.append(name)
    return applied
