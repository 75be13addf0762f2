"""The hub's key directory: stored in `directory_keys`, published retained to every agent.

Agents verify receipts and order QRs offline against the copy they cached from
`cp/v1/broadcast/keys`; the hub verifies agent events against the same entries.  It
holds the hub's own keys ('order' for payment orders, 'event' for acks and commands)
and one key per enrolled agent with the uses ['event', 'receipt'].  A revoked key stays
listed with its revocation time, so an old receipt shows "revoked" instead of "unknown".
"""

from __future__ import annotations

import base64
from typing import Any, Iterable

from sqlalchemy import Connection, select

from hub.store.tables_pki import directory_keys
from hub.store.timeutil import now_iso
from protocol.canonical import canonical_bytes
from protocol.keys import KeyDirectory, PublicKeyEntry
from protocol.wire.topics import KEYS

AGENT_KEY_USES = ("event", "receipt")


def _entry(row: Any) -> PublicKeyEntry:
    return PublicKeyEntry(kid=row["kid"], public_key=base64.b64decode(row["public_key"]), owner=row["owner"],
                          uses=tuple(u for u in row["uses"].split(",") if u),
                          revoked_at=row["revoked_at"], revoked_reason=row["revoked_reason"])


def load_directory(conn: Connection) -> KeyDirectory:
    """Every key the hub knows, revoked ones included (marked)."""
    directory = KeyDirectory()
    for row in conn.execute(select(directory_keys).order_by(directory_keys.c.kid)).mappings():
        directory.add(_entry(row))
    return directory


def add_key(conn: Connection, entry: PublicKeyEntry) -> bool:
    """Store `entry` unless its kid is there already; True if it was added.

    A kid is a hash of the key, so the same kid means the same key: registering it twice
    (hub restarts, a retried enrollment) is harmless, and an existing revocation stands.
    """
    if conn.execute(select(directory_keys.c.kid).where(directory_keys.c.kid == entry.kid)).first():
        return False
    conn.execute(directory_keys.insert().values(
        kid=entry.kid, owner=entry.owner, public_key=base64.b64encode(entry.public_key).decode("ascii"),
        uses=",".join(entry.uses), added_at=now_iso(), revoked_at=entry.revoked_at,
        revoked_reason=entry.revoked_reason))
    return True


def ensure_hub_keys(conn: Connection, entries: Iterable[PublicKeyEntry]) -> None:
    """Register the hub's own public keys (call at start with order_key/event_key.public_entry(...))."""
    for entry in entries:
        add_key(conn, entry)


def owner_of(conn: Connection, kid: str) -> str | None:
    return conn.execute(select(directory_keys.c.owner).where(directory_keys.c.kid == kid)).scalar()


def revoke_owner(conn: Connection, owner: str, reason: str, at: str | None = None) -> list[str]:
    """Mark every live key of `owner` revoked; returns the kids revoked now."""
    at = at or now_iso()
    kids = list(conn.execute(select(directory_keys.c.kid).where(
        directory_keys.c.owner == owner, directory_keys.c.revoked_at.is_(None))).scalars())
    if kids:
        conn.execute(directory_keys.update().where(directory_keys.c.kid.in_(kids))
                     .values(revoked_at=at, revoked_reason=reason))
    return kids


def directory_payload(directory: KeyDirectory) -> bytes:
    """The retained message: canonical JSON, so every agent caches byte-identical copies."""
    return canonical_bytes(directory.to_json())


def publish_key_directory(conn: Connection, publisher: Any, extra: KeyDirectory | None = None) -> bytes:
    """Publish the directory retained (QoS 1) on cp/v1/broadcast/keys; returns the payload.

    `publisher`: a paho Client, or a callable `publish(topic, payload, retain)` such as
    HubContext.publish.  `extra`: entries to add that are not stored (the hub's own keys
    when they were not registered with ensure_hub_keys).
    """
    directory = load_directory(conn)
    for kid, entry in (extra.entries.items() if extra else ()):
        directory.entries.setdefault(kid, entry)
    payload = directory_payload(directory)
    if hasattr(publisher, "loop_start"):      # a paho-mqtt Client
        publisher.publish(KEYS, payload, qos=1, retain=True)
    else:
        publisher(KEYS, payload, True)
    return payload
