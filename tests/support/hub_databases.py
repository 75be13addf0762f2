"""Migrated hub databases for tests, made once per test process and handed out fresh.

Migrating a new database costs ~40 ms on SQLite and ~250 ms on PostgreSQL, and a thousand
tests each want one.  SQLite: every test gets a copy of one file migrated at the process's
first need.  PostgreSQL: every test gets a schema of its own from a pool of migrated ones;
when the test ends its tables are emptied (TRUNCATE … RESTART IDENTITY, so ids start again)
and the schema goes back to the pool, or is dropped when the test changed its shape.
Either way a test starts from exactly what `Database.open` makes of a new database.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from hub.store.db import Database

_sqlite_template: Path | None = None
_free_schemas: list[str] = []
_shape: dict[str, tuple] = {}          # schema -> its tables and columns when it was made
_admin_engines: dict[str, object] = {}

SHAPE = text("SELECT table_name, column_name, data_type FROM information_schema.columns "
             "WHERE table_schema = :schema ORDER BY table_name, column_name")
TABLES = text("SELECT tablename FROM pg_tables WHERE schemaname = :schema AND tablename <> 'schema_version'")


def migrated_sqlite_file(path: Path) -> Path:
    """Put a freshly migrated hub database at `path` (a copy of this process's template)."""
    global _sqlite_template
    if _sqlite_template is None:
        template = Path(tempfile.mkdtemp(prefix="cp-hub-template-")) / "hub.db"
        Database.open(f"sqlite:///{template}").dispose()
        # The last connection's close checkpointed the write-ahead log into the file.
        assert not template.with_name("hub.db-wal").exists() or not template.with_name("hub.db-wal").stat().st_size
        _sqlite_template = template
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template, path)
    os.chmod(path, 0o600)
    return path


def schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


def _admin(base: str):
    if base not in _admin_engines:
        _admin_engines[base] = create_engine(base, pool_size=1, max_overflow=2)
    return _admin_engines[base]


def take_schema(base: str) -> str:
    """A migrated, empty schema of the PostgreSQL database at `base`."""
    if _free_schemas:
        return _free_schemas.pop()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _admin(base).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    Database.open(schema_url(base, schema)).dispose()
    with _admin(base).connect() as conn:
        _shape[schema] = tuple(conn.execute(SHAPE, {"schema": schema}).all())
    return schema


def give_back_schema(base: str, schema: str) -> None:
    """Empty the schema for the next test, or drop it when it no longer has the shape it was made with."""
    engine = _admin(base)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            if tuple(conn.execute(SHAPE, {"schema": schema}).all()) != _shape.get(schema):
                raise LookupError("reshaped")
            tables = ", ".join(f'{schema}."{name}"' for name in conn.execute(TABLES, {"schema": schema}).scalars())
            if tables:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _free_schemas.append(schema)
    except Exception:
        _shape.pop(schema, None)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


@atexit.register
def _drop_pool() -> None:
    """At the end of the test process: drop the schemas still in the pool."""
    for engine in _admin_engines.values():
        with engine.begin() as conn:
            for schema in _free_schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
