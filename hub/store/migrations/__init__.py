"""Versioned schema migrations, applied in order when the database is opened.

Each module here is named `NNNN_name.py` and defines `upgrade(conn) -> None`; the
applied versions are recorded in `schema_version`.  Numbers are shared by the hub's
areas (0001 core, 0002 delivery, 0003 pki, then one number per change).

The rule: a migration, once released, never changes, and nothing it does may depend on
code that can change.  hub/store/tables*.py describe the tables as they are *now*;
a migration describes one step, as it was when written.  So a migration

- declares its own schema: `Table` objects on a private `MetaData` of its own module
  (with its own literal naming convention), or literal DDL such as
  `ALTER TABLE orders ADD COLUMN positions VARCHAR(1000)`; it never imports
  hub.store.tables*, hub.store.metadata or any other module of the project;
- says only what reaches the database: types, nullability, server defaults, keys,
  unique constraints, indexes (a Python-side `default=` belongs in tables*.py only);
- is idempotent when a database may already hold what it adds (0004 and 0005: the
  first release's 0001 lacked agents.gap_since and orders.positions, and 0001 as
  frozen, from a later release, creates them).

A change of a table is therefore two edits: the live definition in tables*.py and a
new migration that makes the same change.  tests/hub/test_migrations.py upgrades a
database one migration at a time and fails when the result differs from a database
migrated at once or from what tables*.py describe, on SQLite and on PostgreSQL.
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


def apply(conn: Connection, *, through: int | None = None) -> list[str]:
    """Apply every migration not yet recorded, in order; returns the names applied.

    With `through`, stop after that version, as a site upgrading release by release
    would (the tests use it to migrate one step at a time).
    """
    if conn.dialect.name == "postgresql":
        # Several hub workers may start at once: one migrates, the others wait.
        conn.execute(text("SELECT pg_advisory_xact_lock(72210531)"))
    schema_version.create(conn, checkfirst=True)
    done = set(conn.execute(select(schema_version.c.version)).scalars())
    applied = []
    for version, name in available():
        if version in done:
            continue
        if through is not None and version > through:
            break
        module = importlib.import_module(f"{__name__}.{name}")
        module.upgrade(conn)
        conn.execute(schema_version.insert().values(
            version=version, name=name,
            applied_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")))
        applied.append(name)
    return applied
