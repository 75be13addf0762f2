"""Telling each desk who may log in at its office: the `desk.roster` (protocol/wire/roster.py).

Signed with the hub's event key: every enabled user with a desk role (desk, technician,
supervisor) who works for the office (or for every office) and has set a desk secret,
with its verifier.  A disabled user, one whose secret was cleared or whose offices no
longer include the office is absent, so the desks refuse them from the moment they hear
the roster.

The verifiers can be guessed offline (hub/users/desk_secret.py), so a roster is never
broadcast: a copy is retained on every enrolled, unrevoked agent's own
`cp/v1/agents/<agent>/roster`, which the broker ACL lets that agent alone read
(hub/pki/broker_config.py), for the office of its newest certificate.  A revoked agent's
copy is cleared (an empty retained message); so are the rosters once retained per office
on `cp/v1/broadcast/operators/<office>`, which every agent may read, each time the hub
connects, so a broker that kept them stops serving them.

Users change from the console (in the `hub serve` process, which has the broker) and
from `counterpay hub user …` (another process, which has not), and agents enroll and are
revoked from either.  So `RosterFeed` looks every `POLL_S` seconds: it builds the roster
of every enrolled agent's office and publishes it to each agent whose copy differs from
what it published last (a new agent, a changed roster, an agent moved to another office),
clears the copy of each agent revoked since, and at connect publishes and clears all of
them (a broker that lost its retained messages gets them back).  A desk hears a
disabled operator's removal within seconds of the change once it is online.
"""

from __future__ import annotations

import hashlib
import logging
import threading

from urllib.parse import quote

from sqlalchemy import Connection, select

from hub.context import HubContext
from hub.orders.state_feed import offices_told
from hub.store.tables_pki import agent_certificates
from hub.store.tables_users import users
from protocol.canonical import canonical_bytes
from protocol.keys import SigningKey
from protocol.wire import make, topics
from protocol.wire.messages import body_of, build
from protocol.wire.roster import DESK_ROLES, ROSTER_ENTRIES, DeskRoster

log = logging.getLogger(__name__)

POLL_S = 5.0
SENDER = "hub"
BROADCAST_ROSTERS = f"{topics.BROADCAST}/operators"
"""Where rosters were retained per office, readable by every agent: cleared at each connect."""


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


def agent_offices(conn: Connection) -> tuple[dict[str, str], set[str]]:
    """({agent: office of its newest unrevoked certificate}, {agents whose every certificate is revoked})."""
    rows = conn.execute(select(agent_certificates.c.agent_id, agent_certificates.c.office,
                               agent_certificates.c.revoked_at)
                        .order_by(agent_certificates.c.issued_at, agent_certificates.c.serial))
    enrolled: dict[str, str] = {}
    seen: set[str] = set()
    for agent_id, office, revoked_at in rows:
        # Enrollment refuses such ids; a row written some other way must not stop every desk's roster.
        if not topics.AGENT_ID_RE.match(agent_id or ""):
            log.warning("agent certificate names %r, which is no agent id; it gets no roster", agent_id)
            continue
        seen.add(agent_id)
        if revoked_at is None:
            enrolled[agent_id] = office          # a later certificate (renewed, re-enrolled) wins
    return enrolled, seen - enrolled.keys()


def broadcast_roster_topic(office: str) -> str:
    """The broadcast topic `office`'s roster was retained on, which the hub now only clears."""
    return f"{BROADCAST_ROSTERS}/{quote(office, safe='')}"


def _known_offices(conn: Connection, desk_users: list[dict]) -> set[str]:
    every = {office for (office,) in conn.execute(select(agent_certificates.c.office).distinct()) if office}
    every.update(offices_told(conn))
    every.update(office for user in desk_users for office in (user["offices"] or ()))
    return every


class RosterFeed:
    """Retains each enrolled agent's office roster on its own topic, at connect and after each change."""

    def __init__(self, context: HubContext, poll_s: float = POLL_S):
        self.context = context
        self.poll_s = poll_s
        self._published: dict[str, str] = {}      # agent -> fingerprint of the office and entries published
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, *, everything: bool = False) -> int:
        """Publish the agents' rosters that changed and clear the revoked agents' (all of them, and the
        broadcast rosters, with `everything`); returns how many messages went out."""
        with self._lock:
            with self.context.db.connect() as conn:
                enrolled, revoked = agent_offices(conn)
                desk_users = _desk_users(conn)
                rosters = {office: roster_entries(conn, office, desk_users) for office in set(enrolled.values())}
                stale_offices = sorted(_known_offices(conn, desk_users)) if everything else []
            sent = 0
            for office in stale_offices:
                sent += self.context.publish(broadcast_roster_topic(office), b"", retain=True)
            for agent_id in sorted(revoked):
                if everything or agent_id in self._published:
                    if self.context.publish(topics.desk_roster(agent_id), b"", retain=True):
                        self._published.pop(agent_id, None)
                        sent += 1
            fingerprints = {office: hashlib.sha256(canonical_bytes([office, entries])).hexdigest()
                            for office, entries in rosters.items()}
            payloads: dict[str, bytes] = {}       # signed once per office and round
            for agent_id, office in sorted(enrolled.items()):
                fingerprint = fingerprints[office]
                if not everything and self._published.get(agent_id) == fingerprint:
                    continue
                if office not in payloads:
                    payloads[office] = office_payload(office, rosters[office], self.context.event_key)
                if self.context.publish(topics.desk_roster(agent_id), payloads[office], retain=True):
                    self._published[agent_id] = fingerprint
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
