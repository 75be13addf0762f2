"""The office each agent was enrolled for, which the offices its payments name must be.

Enrollment (hub/pki/enrollment.py) issues an agent's certificate for the office of its
token and registers its signing key in the same transaction, so the certificate's
`kid` says which office a signature speaks for.  An agent known only from a key
directory given to the hub (tests, the benchmark) has no certificate and so no
enrolled office: nothing to hold its payments to.

Read in the checker thread, cached: the whole map is reloaded every `ttl_s`, and a
key not in it makes one reload at once (an agent enrolled a moment ago); a key still
unknown after that is remembered as such until the next reload.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from hub.store.tables_pki import agent_certificates


class EnrolledOffices:
    def __init__(self, db, ttl_s: float = 30.0):
        self.db, self.ttl_s = db, ttl_s
        self._by_kid: dict[str, str] = {}
        self._without: set[str] = set()
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def _load(self, *, forget_unknown: bool) -> None:
        with self.db.connect() as conn:
            rows = conn.execute(select(agent_certificates.c.kid, agent_certificates.c.office)
                                .where(agent_certificates.c.kid.is_not(None))).all()
        with self._lock:
            self._by_kid = {kid: office for kid, office in rows}
            if forget_unknown:
                self._without = set()
                self._loaded_at = time.monotonic()

    def office_of(self, kid: str) -> str | None:
        """The office the key's certificate was issued for, or None without a certificate."""
        if time.monotonic() - self._loaded_at > self.ttl_s:
            self._load(forget_unknown=True)
        office = self._by_kid.get(kid)
        if office is None and kid not in self._without:
            self._load(forget_unknown=False)
            office = self._by_kid.get(kid)
            if office is None:
                with self._lock:
                    self._without.add(kid)
        return office
