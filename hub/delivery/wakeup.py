"""Waking the delivery worker the moment a confirmation is queued.

In one process: workers subscribe an asyncio.Event and `notify()` sets it, thread-safe.
`notify()` is called while the enqueuing transaction is still open, so a woken worker
may not see the row yet; the worker looks again shortly after each wake-up.

Across processes on PostgreSQL (several hub workers on one database): `announce(conn)`
also sends ``NOTIFY counterpay_delivery`` inside the transaction; PostgreSQL delivers it
only when that transaction commits, so the listening worker wakes exactly when the row
is visible.  SQLite has no such thing: other processes are found by polling.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Callable

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

CHANNEL = "counterpay_delivery"

_subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
_subscribers_lock = threading.Lock()


def subscribe(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    with _subscribers_lock:
        _subscribers.append((loop, event))


def unsubscribe(event: asyncio.Event) -> None:
    with _subscribers_lock:
        _subscribers[:] = [(loop, ev) for loop, ev in _subscribers if ev is not event]


def notify() -> None:
    """Wake the workers of this process."""
    with _subscribers_lock:
        targets = list(_subscribers)
    for loop, event in targets:
        if not event.is_set() and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass  # the loop closed between the check and the call: that worker is gone


def announce(conn: Connection) -> None:
    """Wake workers here now, and workers in other processes when `conn` commits (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"NOTIFY {CHANNEL}"))
    notify()


class PostgresListener:
    """LISTEN on its own connection in a thread; calls `on_notify` for every commit announced."""

    def __init__(self, url: URL, on_notify: Callable[[], None]):
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.on_notify = on_notify
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "PostgresListener":
        self._thread = threading.Thread(target=self._main, name="delivery-listen", daemon=True)
        self._thread.start()
        return self

    def _main(self) -> None:
        import psycopg
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.on_notify()     # anything queued while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.on_notify()
            except Exception as exc:     # the database went away: polling covers us until it is back
                log.warning("delivery LISTEN connection lost (%s); reconnecting", exc)
                self._stop.wait(2.0)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
