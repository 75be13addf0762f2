"""Console sessions, kept on the server so they can be ended: by logout, by an admin
disabling the user or resetting the password, by the idle timeout or the absolute lifetime.

The browser holds 32 random bytes (url-safe base64) in a cookie; the table holds only
their SHA-256.  Each session has its own CSRF token, which every form and htmx request
sends back.  `resolve()` is asked on every request: it answers None for a session that
is unknown, revoked, idle too long, past its lifetime, or whose user is disabled.

The console (hub/web/auth.py) and the API (hub/api/deps.py) both find the caller's
session by `current()`, from the same cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, select

from hub.config import Settings
from hub.store.db import Database
from hub.store.tables_users import user_sessions, users
from hub.store.timeutil import iso, parse
from hub.users.model import User

SESSION_COOKIE = "cp_session"
CSRF_HEADER = "X-CSRF-Token"

TOUCH_EVERY_S = 30
"""last_seen is written at most this often per session: a page's many requests cost one write."""


@dataclass(frozen=True)
class SessionPolicy:
    idle_s: int = 30 * 60
    lifetime_s: int = 12 * 3600


@dataclass(frozen=True)
class Session:
    id_hash: str
    user: User
    csrf_token: str
    last_seen: str

    def needs_touch(self, now: dt.datetime) -> bool:
        return (now - parse(self.last_seen)).total_seconds() >= TOUCH_EVERY_S


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(idle_s=settings.web.idle_timeout_minutes * 60,
                         lifetime_s=settings.web.session_lifetime_hours * 3600)


def current(db: Database, session_id: str | None, settings: Settings) -> Session | None:
    """The valid session of this cookie's value, or None; refreshes last_seen now and then."""
    now = dt.datetime.now(dt.timezone.utc)
    with db.connect() as conn:
        session = resolve(conn, session_id, session_policy(settings), now)
    if session is not None and session.needs_touch(now):
        with db.begin() as conn:
            touch(conn, session, now)
    return session


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def open_session(conn: Connection, user: User, policy: SessionPolicy, now: dt.datetime, *,
                 user_agent: str | None, address: str | None) -> str:
    """Start a session; returns the id for the cookie (shown to nobody else, stored hashed)."""
    session_id = secrets.token_urlsafe(32)
    conn.execute(user_sessions.insert().values(
        id_hash=hash_session_id(session_id), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        created_at=iso(now), last_seen=iso(now), expires_at=iso(now + dt.timedelta(seconds=policy.lifetime_s)),
        user_agent=(user_agent or "")[:300] or None, address=(address or "")[:64] or None))
    return session_id


def resolve(conn: Connection, session_id: str | None, policy: SessionPolicy, now: dt.datetime) -> Session | None:
    if not session_id:
        return None
    row = conn.execute(select(user_sessions, users).join(users, users.c.id == user_sessions.c.user_id)
                       .where(user_sessions.c.id_hash == hash_session_id(session_id))).mappings().first()
    if row is None or row["revoked_at"] is not None or row["disabled_at"] is not None:
        return None
    if iso(now) >= row["expires_at"]:
        return None
    if now - parse(row["last_seen"]) > dt.timedelta(seconds=policy.idle_s):
        return None
    user = User.from_row({**row, "id": row["user_id"]})
    if not user.may_use_console:
        return None
    return Session(row["id_hash"], user, row["csrf_token"], row["last_seen"])


def touch(conn: Connection, session: Session, now: dt.datetime) -> None:
    conn.execute(user_sessions.update().where(user_sessions.c.id_hash == session.id_hash)
                 .values(last_seen=iso(now)))


def revoke(conn: Connection, id_hash: str, now: dt.datetime) -> bool:
    result = conn.execute(user_sessions.update()
                          .where(user_sessions.c.id_hash == id_hash, user_sessions.c.revoked_at.is_(None))
                          .values(revoked_at=iso(now)))
    return bool(result.rowcount)


def open_sessions(conn: Connection, user_id: int) -> list[dict]:
    """A user's sessions not revoked (newest first), without their ids: for a sessions list."""
    rows = conn.execute(select(user_sessions.c.created_at, user_sessions.c.last_seen, user_sessions.c.expires_at,
                               user_sessions.c.user_agent, user_sessions.c.address)
                        .where(user_sessions.c.user_id == user_id, user_sessions.c.revoked_at.is_(None))
                        .order_by(user_sessions.c.created_at.desc()))
    return [dict(row) for row in rows.mappings()]
