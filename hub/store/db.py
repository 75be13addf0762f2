"""Open the hub database by URL and apply migrations: SQLite (WAL) or PostgreSQL.

    db = Database.open("sqlite:////var/lib/counterpay/hub.db")
    db = Database.open("postgresql+psycopg://user:pw@host/db")
    with db.begin() as conn:      # one transaction, committed on leaving the block
        conn.execute(...)

Everything above this module is SQLAlchemy Core written once for both databases.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from hub.store import migrations


class DatabaseError(ValueError):
    """The database URL is unusable; the message says why."""


def _create_private(path: Path) -> None:
    """Create `path` (and a missing folder) for its owner only before SQLite opens it: the database
    holds payer data and webhook secrets, and SQLite gives its -wal and -shm files the same mode."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (the API) never block the ingest writer; NORMAL sync is durable
    # across process crashes in WAL mode, and the agent keeps unacked events anyway.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Several threads (API, ingest, delivery) write: wait for the lock instead of failing.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


READS_ONLY = "counterpay_reads_only"
"""Execution option that marks a connection from `Database.connect()`: it never writes."""


def _sqlite_begin(conn) -> None:
    # pysqlite starts transactions lazily as DEFERRED, which deadlocks two writers that
    # both read first; BEGIN IMMEDIATE takes the write lock up front (SQLAlchemy recipe).
    # A reader must not take it: in WAL mode a deferred read sees the last commit and
    # never waits for a writer, so an API search does not queue behind an import.
    if conn.get_execution_options().get(READS_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, engine: Engine, url: str, write_lock_path: Path | None = None):
        self.engine = engine
        self.url = url
        # SQLite writers in several processes (hub workers sharing the stream) or threads
        # queue on this file lock: SQLite's own busy handler polls with sleeps of up to
        # 100 ms, while a blocked flock() wakes the moment the writer before it is done.
        self._write_lock_path = write_lock_path
        self._holder = threading.local()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> "Database":
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise DatabaseError(f"database url {url!r} is not a valid URL: {exc}") from None
        backend = parsed.get_backend_name()
        lock_path = None
        if backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                _create_private(Path(parsed.database))
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                   pool_size=8, max_overflow=8)
            # Let SQLAlchemy, not pysqlite, decide when transactions begin.
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "connect", lambda dbapi_conn, _r: setattr(dbapi_conn, "isolation_level", None))
            event.listen(engine, "begin", _sqlite_begin)
            if parsed.database and parsed.database != ":memory:":
                lock_path = Path(parsed.database + ".writelock")
                _create_private(lock_path)
        elif backend == "postgresql":
            engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
        else:
            raise DatabaseError(f"database url {url!r}: only sqlite:/// and postgresql+psycopg:// are supported")
        database = cls(engine, url, lock_path)
        if migrate:
            with database.begin() as conn:
                migrations.apply(conn)
        return database

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        if self._write_lock_path is None or getattr(self._holder, "held", False):
            # (a nested begin in one thread is a bug; SQLite's busy timeout reports it)
            with self.engine.begin() as conn:
                yield conn
            return
        with open(self._write_lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._holder.held = True
            try:
                with self.engine.begin() as conn:
                    yield conn
            finally:
                self._holder.held = False
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads: it never takes the write lock, so it never waits for a writer.

        On PostgreSQL the transaction is READ ONLY too, so a write through it fails loudly
        on both databases (SQLite refuses it with "attempt to write a readonly database"
        only once it needs the lock: the read-only pragma makes that immediate).
        """
        with self.engine.connect().execution_options(**{READS_ONLY: True}) as conn:
            if self.dialect_name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            else:
                conn.exec_driver_sql("PRAGMA query_only = ON")
            try:
                yield conn
            finally:
                if self.dialect_name == "sqlite":
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA query_only = OFF")

    def dispose(self) -> None:
        self.engine.dispose()
