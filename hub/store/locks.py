"""Jobs that must run once at a time across every hub process: one named lock for all of them.

    with locks.held_alone(db, "mail-send:REQ-1") as mine:
        if not mine:
            return "another process is running it"      # nobody waits for a long job
        ...

    locks.transaction_lock(conn, "reconciliation")        # waits; freed at commit or rollback

On PostgreSQL these are advisory locks (`pg_try_advisory_lock`, `pg_advisory_xact_lock`),
keyed by a 64-bit hash of the schema and the name (advisory locks are per database, and
two hubs may share one in schemas of their own, as the tests do): a process that dies, `kill -9` included, loses its
connection and with it the lock, so no lock outlives its holder and none needs
clearing by hand.  On SQLite (one machine) a session lock is `flock()` on a file beside
the database, which the kernel frees when its holder dies, and a transaction already
holds the whole database (BEGIN IMMEDIATE), so `transaction_lock` has nothing to add.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from hub.store.db import Database

_NAME_RE = re.compile(r"^[A-Za-z0-9:._-]{1,120}$")
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


# The first 64 bits of md5(schema/name) as a bigint: the same key in every process and server version.
_KEY = "('x' || substr(md5(current_schema() || '/' || :name), 1, 16))::bit(64)::bigint"


def _checked(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"lock name {name!r}: use 1-120 letters, digits, ':', '.', '_' or '-'")
    return name


def transaction_lock(conn: Connection, name: str) -> None:
    """Wait for `name` and hold it until the caller's transaction ends (PostgreSQL)."""
    _checked(name)
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_KEY})"), {"name": name})


def transaction_locks(conn: Connection, prefix: str, values: list[str]) -> None:
    """Wait for the locks `prefix` + each of `values` (any text: only hashed) and hold them until
    the caller's transaction ends (PostgreSQL).  Taken in one statement in key order, so two
    transactions that take overlapping sets never wait for each other in a circle."""
    _checked(prefix)
    if conn.dialect.name != "postgresql" or not values:
        return
    key = _KEY.replace(":name", "(:prefix || name)")
    conn.execute(text(f"SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT {key} AS k "
                      "FROM unnest(CAST(:names AS text[])) AS name) AS keys ORDER BY k"),
                 {"prefix": prefix, "names": sorted(set(values))})


@contextlib.contextmanager
def held_alone(db: Database, name: str) -> Iterator[bool]:
    """Try to take `name` for the block: yields True when this process holds it, False at once
    when another holds it.  Held on a connection of its own, outside the block's transactions."""
    _checked(name)
    if db.dialect_name == "postgresql":
        with _postgres_session_lock(db, name) as mine:
            yield mine
        return
    database = make_url(db.url).database
    if database and database != ":memory:":
        with _file_lock(Path(f"{database}.{name}.lock")) as mine:
            yield mine
        return
    with _memory_lock(name) as mine:
        yield mine


@contextlib.contextmanager
def _postgres_session_lock(db: Database, name: str) -> Iterator[bool]:
    # Autocommit: the lock is the session's, and the connection must not sit idle in a transaction.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        mine = bool(conn.execute(text(f"SELECT pg_try_advisory_lock({_KEY})"), {"name": name}).scalar())
        try:
            yield mine
        finally:
            if mine:
                try:
                    conn.execute(text(f"SELECT pg_advisory_unlock({_KEY})"), {"name": name})
                except Exception:
                    # The connection is gone (database restarted): so is the lock.
                    conn.invalidate()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _memory_lock(name: str) -> Iterator[bool]:
    with _memory_guard:
        lock = _memory_locks.setdefault(name, threading.Lock())
    mine = lock.acquire(blocking=False)
    try:
        yield mine
    finally:
        if mine:
            lock.release()
