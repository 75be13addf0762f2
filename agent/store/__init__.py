"""The agent's SQLite store: one file, WAL, `synchronous=FULL`, versioned schema.

Everything the agent must not lose lives here: the payment journal, the outbox, the
caches of the fee catalogue, orders and key directory, the payer database and
settings (incarnation counter, outbox sequence).  One connection shared by every
thread behind a lock: SQLite serialises writers anyway, and one connection keeps
`BEGIN IMMEDIATE … COMMIT` simple and makes a commit durable before the call returns.

    store = Store.open("/var/lib/counterpay/agent.db")
    with store.transaction() as db:        # db is a sqlite_utils.Database
        db["settings"].upsert({...}, pk="key")

SQLite errors (disk full, read-only file, not a database) become `StoreError` with a
sentence a person can act on; a failed transaction is rolled back, so the journal
stays as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from agent.store.migrations import MIGRATIONS, migrate


class StoreError(RuntimeError):
    """The store cannot be read or written; the message says why and what to do."""


def explain(exc: sqlite3.Error, path: str) -> str:
    text = str(exc)
    lowered = text.lower()
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return f"the disk holding {path} is full: free space, nothing was written ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"{path} is read-only: check its permissions and those of its folder ({text})"
    if "not a database" in lowered or "malformed" in lowered:
        return f"{path} is not a readable counterpay store (damaged or another file): {text}"
    if "unable to open" in lowered:
        return f"cannot open {path}: check that the folder exists and is writable ({text})"
    if "locked" in lowered or "busy" in lowered:
        return f"{path} is locked by another process (is a second agent running?): {text}"
    if "disk i/o" in lowered:
        return f"the disk holding {path} failed to read or write: {text}"
    return f"{path}: {text}"


class Store:
    """The agent database. Thread-safe; every write goes through `transaction()`."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        self._depth = 0

    @classmethod
    def open(cls, path: str | os.PathLike, *, target_version: int | None = None) -> "Store":
        path = str(path)
        if path != ":memory:":
            folder = Path(path).parent
            if not folder.exists():
                try:
                    folder.mkdir(parents=True, mode=0o700)
                except OSError as exc:
                    raise StoreError(f"cannot create the store folder {folder}: {exc}") from None
            with contextlib.suppress(OSError):   # payer data: owner only (-wal/-shm get this mode); sqlite3 reports errors
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so a transaction
            # spans exactly what we mean and nothing commits behind our back.
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk (WAL fsync'd) before it returns, so a payment
            # we told the clerk about survives a power cut.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            store = cls(conn, path)
            with store.lock:
                migrate(store.db, target_version)
        except sqlite3.Error as exc:
            raise StoreError(explain(exc, path)) from None
        except RuntimeError as exc:      # a store from a newer agent
            raise StoreError(f"{path}: {exc}") from None
        return store

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """BEGIN IMMEDIATE … COMMIT; nested calls join the outer transaction."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(explain(exc, self.path)) from None
            self._depth = 1
            try:
                yield self.db
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(explain(exc, self.path)) from None
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth = 0

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def query(self, sql: str, params: Any = ()) -> list[dict]:
        with self.lock:
            try:
                return list(self.db.query(sql, params))
            except sqlite3.Error as exc:
                raise StoreError(explain(exc, self.path)) from None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        with self.lock:
            try:
                row = self.conn.execute(sql, params).fetchone()
            except sqlite3.Error as exc:
                raise StoreError(explain(exc, self.path)) from None
        return row[0] if row else None

    # settings: small key/value facts that must survive restarts
    def get_setting(self, key: str, default: Any = None) -> Any:
        raw = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if raw is None else json.loads(raw)

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def next_counter(self, key: str) -> int:
        """Increment and return a persisted counter (inside the caller's transaction if any)."""
        with self.transaction() as db:
            current = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            value = (json.loads(current[0]) if current else 0) + 1
            db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))
        return value

    @property
    def schema_version(self) -> int:
        return int(self.scalar("SELECT MAX(version) FROM schema_version") or 0)

    def close(self) -> None:
        with self.lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass


__all__ = ["Store", "StoreError", "MIGRATIONS", "explain"]
