"""What the hub's parts share at run time: settings, database, the hub's signing keys,
the key directory that agent signatures are checked against, and a publisher.

The key directory comes from `hub.pki.keydir.load_directory(conn)`; a directory passed
in explicitly (tests, the benchmark) wins over it.  The hub's own public keys are always
added so order QRs verify.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Connection

from protocol.keys import KeyDirectory, SigningKey
from hub.config import Settings
from hub.pki import keydir
from hub.store.db import Database

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes, bool], None]
"""publish(topic, payload, retain): QoS 1; raises nothing the caller must handle."""


@dataclass
class HubContext:
    settings: Settings
    db: Database
    order_key: SigningKey
    event_key: SigningKey
    static_directory: KeyDirectory | None = None
    publisher: Publish | None = None
    directory_ttl_s: float = 2.0
    _cached: tuple[float, KeyDirectory] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def hub_entries(self) -> KeyDirectory:
        directory = KeyDirectory()
        directory.add(self.order_key.public_entry("hub", ["order"]))
        directory.add(self.event_key.public_entry("hub", ["event"]))
        return directory

    def load_directory(self, conn: Connection) -> KeyDirectory:
        if self.static_directory is not None:
            directory = KeyDirectory(dict(self.static_directory.entries))
        else:
            directory = keydir.load_directory(conn)
        for kid, entry in self.hub_entries().entries.items():
            directory.entries.setdefault(kid, entry)
        return directory

    def key_directory(self, *, refresh: bool = False) -> KeyDirectory:
        """The directory, cached for a moment: loading it per message would cost a query each."""
        with self._lock:
            if not refresh and self._cached and time.monotonic() - self._cached[0] < self.directory_ttl_s:
                return self._cached[1]
        with self.db.connect() as conn:
            directory = self.load_directory(conn)
        with self._lock:
            self._cached = (time.monotonic(), directory)
        return directory

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> bool:
        if self.publisher is None:
            log.warning("no MQTT publisher: %s not published", topic)
            return False
        self.publisher(topic, payload, retain)
        return True


def load_signing_key(path) -> SigningKey:
    with open(path, "rb") as handle:
        return SigningKey.from_pem(handle.read())
