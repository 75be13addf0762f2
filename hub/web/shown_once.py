"""Secrets shown once (API tokens, enrollment tokens, case-system secrets) without resubmission.

The POST that makes a secret seals it in the database (`shown_once`, hub/store/tables_users.py)
under the session, answers 303, and the GET that follows takes it: the row is deleted by
that read, so a reload of the page shows nothing and makes nothing new.  Kept in the
database, not in one process's memory, so that several hub processes behind one proxy
can answer the redirect whichever of them gets it.

Sealed (AES-256-GCM) with a key derived from the session's cookie, which the database
never holds (only its SHA-256, under another label): a reader of the database, or of a
backup, learns nothing of a waiting secret, and after its one read nothing is left.
A secret not read within SHOWN_FOR_S (the redirect was lost) is dropped; secrets are
never logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request
from sqlalchemy import Connection, select

from hub.store.tables_users import shown_once
from hub.store.timeutil import iso
from hub.users.sessions import SESSION_COOKIE, Session

SHOWN_FOR_S = 300
"""A secret not read within five minutes (the redirect was lost) is dropped."""
_KEY_LABEL = b"counterpay shown-once v1\0"
_NONCE_BYTES = 12        # AES-GCM's standard nonce (NIST SP 800-38D), random per secret


@dataclass(frozen=True)
class Secret:
    title: str                  # catalogue key of the heading
    secret: str
    values: dict = field(default_factory=dict)


def _key(session_id: str) -> bytes:
    # Not the session's id_hash (plain SHA-256 of the same id): that one is in the database.
    return hashlib.sha256(_KEY_LABEL + session_id.encode("ascii", "replace")).digest()


def seal(session_id: str, secret: Secret, session_hash: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps({"title": secret.title, "secret": secret.secret, "values": secret.values}).encode()
    # The session's hash is bound in as associated data: a row copied to another session fails to open.
    return (nonce + AESGCM(_key(session_id)).encrypt(nonce, plain, session_hash.encode())).hex()


def unseal(session_id: str, sealed: str, session_hash: str) -> Secret | None:
    raw = bytes.fromhex(sealed)
    try:
        plain = AESGCM(_key(session_id)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], session_hash.encode())
    except InvalidTag:
        return None
    document = json.loads(plain)
    return Secret(document["title"], document["secret"], document["values"])


def keep_sealed(conn: Connection, session: Session, session_id: str, secret: Secret, now: dt.datetime) -> None:
    """Seal `secret` for this session (replacing one it has not read) and sweep the expired."""
    conn.execute(shown_once.delete().where((shown_once.c.expires_at <= iso(now))
                                           | (shown_once.c.session_hash == session.id_hash)))
    conn.execute(shown_once.insert().values(session_hash=session.id_hash,
                                            sealed=seal(session_id, secret, session.id_hash),
                                            expires_at=iso(now + dt.timedelta(seconds=SHOWN_FOR_S))))


def take_sealed(conn: Connection, session: Session, session_id: str, now: dt.datetime) -> Secret | None:
    """The session's waiting secret, deleted by this read; None if there is none, or it expired."""
    row = conn.execute(select(shown_once.c.sealed, shown_once.c.expires_at)
                       .where(shown_once.c.session_hash == session.id_hash)).first()
    if row is None:
        return None
    # Only the process whose DELETE removed the row shows it: two reads at once show it once.
    deleted = conn.execute(shown_once.delete().where(shown_once.c.session_hash == session.id_hash,
                                                     shown_once.c.sealed == row.sealed))
    if deleted.rowcount != 1 or row.expires_at <= iso(now):
        return None
    return unseal(session_id, row.sealed, session.id_hash)


def keep(request: Request, session: Session, title: str, secret: str, **values) -> None:
    with request.app.state.db.begin() as conn:
        keep_sealed(conn, session, request.cookies.get(SESSION_COOKIE, ""), Secret(title, secret, values),
                    dt.datetime.now(dt.timezone.utc))


def take(request: Request, session: Session) -> Secret | None:
    with request.app.state.db.begin() as conn:
        return take_sealed(conn, session, request.cookies.get(SESSION_COOKIE, ""), dt.datetime.now(dt.timezone.utc))
