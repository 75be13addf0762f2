"""The desk's status, pushed to whoever shows it (the UI's status bar), at a pace a screen can take.

Anything that changes the status (a payment, an ack from the hub, a lost connection)
calls `changed()`, which only sets a flag: it is cheap enough for the sync thread to call
for every batch.  One thread of its own reads the status (SQL, off the caller's thread
and off the UI's event loop) and calls the subscribers, at most `MAX_PER_S` times a
second and only when the status differs from the one last sent: a draining outbox
changes state hundreds of times a second and a screen only needs the latest.
Subscribers are called on that thread; the UI forwards to its loop with `post_message`.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Generic, TypeVar

log = logging.getLogger("counterpay.agent")
MAX_PER_S = 5

Status = TypeVar("Status")


class StatusFeed(Generic[Status]):
    def __init__(self, read: Callable[[], Status]):
        self.read = read
        self._subscribers: list[Callable[[Status], None]] = []
        self._changed = threading.Event()
        self._closed = threading.Event()
        self._last: Status | None = None
        self._thread = threading.Thread(target=self._run, name="counterpay-status", daemon=True)

    def subscribe(self, callback: Callable[[Status], None]) -> None:
        self._subscribers.append(callback)

    def changed(self) -> None:
        self._changed.set()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._changed.set()

    def _run(self) -> None:
        while not self._closed.is_set():
            self._changed.wait()
            if self._closed.is_set():
                return
            self._changed.clear()
            try:
                current = self.read()
            except Exception as exc:  # store gone while closing
                log.debug("status unavailable: %s", exc)
                continue
            if current != self._last:
                self._last = current
                for callback in list(self._subscribers):
                    try:
                        callback(current)
                    except Exception:
                        log.exception("status subscriber failed")
            self._closed.wait(1 / MAX_PER_S)
