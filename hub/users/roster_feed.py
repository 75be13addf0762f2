"""Telling an office's desks who may log in there: the `desk.roster` (protocol/wire/roster.py).

Per office, retained on `cp/v1/broadcast/operators/<office>`, signed with the hub's
event key: every enabled user with a desk role (desk, technician, supervisor) who works
for that office (or for every office) and has set a desk secret, with its verifier.
A disabled user, one whose secret was cleared or whose offices no longer include the
office is absent, so the desks refuse them from the moment they hear the roster.

Users change from the console (in the `hub serve` process, which has the broker) and
from `counterpay hub user …` (another process, which has not).  So `RosterFeed` looks
every `POLL_S` seconds: it builds every told office's roster and publishes those that
differ from what it published last, and it publishes all of them when the hub connects
to the broker (a broker that lost its retained messages gets them back).  A desk hears
a disabled operator's removal within seconds of the change once it is online.
"""

from __future__ import annotations

import hashlib
import logging
import threading

from sqlalchemy import Connection, select

from hub.context import HubContext
from hub.orders.state_feed import offices_told
from hub.store.tables_users import users
from protocol.canonical import canonical_bytes
from protocol.keys import SigningKey
from protocol.wire import make, topics
from protocol.wire.messages import body_of, build
from protocol.wire.roster import DESK_ROLES, ROSTER_ENTRIES, DeskRoster

log = logging.getLogger(__name__)

POLL_S = 5.0
SENDER = "hub"


def _desk_users(conn: Connection) -> list[dict]:
    query = (select(users.c.username, users.c.role, users.c.offices, users.c.desk_verifier,
                    users.c.desk_secret_set_at, users.c.updated_at)
             .where(users.c.role.in_(DESK_ROLES), users.c.disabled_at.is_(None), users.c.desk_verifier.is_not(None))
             .order_by(users.c.username))
    return [dict(row) for row in conn.execute(query).mappings()]


def roster_entries(conn: Connection, office: str, desk_users: list[dict] | None = None) -> list[dict]:
    """The operators `office`'s desks may log in, by username."""
    found = _desk_users(conn) if desk_users is None else desk_users
    entries = [{"username": u["username"], "role": u["role"], "verifier": u["desk_verifier"],
                "changed_at": max(u["desk_secret_set_at"] or "", u["updated_at"] or "")}
               for u in found if u["offices"] is None or office in u["offices"]]
    if len(entries) > ROSTER_ENTRIES:
        log.warning("office %r has %d desk operators; the roster lists the first %d by name",
                    office, len(entries), ROSTER_ENTRIES)
    return entries[:ROSTER_ENTRIES]


def office_payload(office: str, entries: list[dict], key: SigningKey) -> bytes:
    body = body_of(build(DeskRoster, office=office, operators=entries))
    return make(SENDER, 0, "desk.roster", body, key).encode()


class RosterFeed:
    """Publishes every told office's roster at connect, and each one again when it changes."""

    def __init__(self, context: HubContext, poll_s: float = POLL_S):
        self.context = context
        self.poll_s = poll_s
        self._published: dict[str, str] = {}      # office -> fingerprint of the entries published
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, *, everything: bool = False) -> int:
        """Publish the rosters that changed (all of them with `everything`); returns how many went out."""
        with self._lock:
            with self.context.db.connect() as conn:
                offices = offices_told(conn)
                desk_users = _desk_users(conn)
                rosters = {office: roster_entries(conn, office, desk_users) for office in offices}
            sent = 0
            for office, entries in rosters.items():
                fingerprint = hashlib.sha256(canonical_bytes(entries)).hexdigest()
                if not everything and self._published.get(office) == fingerprint:
                    continue
                payload = office_payload(office, entries, self.context.event_key)
                if self.context.publish(topics.desk_roster(office), payload, retain=True):
                    self._published[office] = fingerprint
                    sent += 1
            return sent

    def start(self) -> "RosterFeed":
        self._thread = threading.Thread(target=self._run, name="hub-desk-roster", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.publish()
            except Exception:       # the database may be away for a moment: the next round tries again
                log.exception("publishing the desk rosters failed; trying again in %.0f s", self.poll_s)
