"""A login: throttled, checked against the Argon2 hash, recorded, and a session opened.

The password is checked outside any write transaction (Argon2 takes tens of
milliseconds; SQLite writers would queue behind it).  A wrong password and an unknown
username get the same answer in the same time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.audit.log import record
from hub.store.db import Database
from hub.users import service, sessions, throttle
from hub.users.model import User
from hub.users.passwords import needs_rehash, verify_password


@dataclass(frozen=True)
class LoginOutcome:
    """Either a session (`session_id`, `user`) or a refusal: `refused` is one of
    throttled (then `wait_s`), wrong, disabled, desk."""
    session_id: str | None = None
    user: User | None = None
    refused: str | None = None
    wait_s: int = 0


def login(db: Database, username: str, password: str, *, address: str, user_agent: str | None,
          throttle_policy: throttle.ThrottlePolicy, session_policy: sessions.SessionPolicy,
          now: dt.datetime | None = None) -> LoginOutcome:
    now = now or dt.datetime.now(dt.timezone.utc)
    name = (username or "").strip().lower()[:64]
    with db.connect() as conn:
        wait = throttle.wait_seconds(conn, name, address, throttle_policy, now)
        user = service.get(conn, name) if name else None
        password_hash = service.password_hash_of(conn, name) if user else None
    if wait:
        return LoginOutcome(refused="throttled", wait_s=wait)
    right = verify_password(password_hash, password or "")
    with db.begin() as conn:
        if not right or user is None:
            throttle.note(conn, name, address, False, now)
            return LoginOutcome(refused="wrong")
        if not user.enabled:
            throttle.note(conn, name, address, False, now)
            return LoginOutcome(refused="disabled")
        if not user.may_use_console:
            return LoginOutcome(refused="desk")
        throttle.note(conn, name, address, True, now)
        if needs_rehash(password_hash):
            service.store_rehash(conn, user.id, password)
        session_id = sessions.open_session(conn, user, session_policy, now, user_agent=user_agent, address=address)
        record(conn, user.actor, "user.login", f"user:{user.username}", {"address": address})
    return LoginOutcome(session_id=session_id, user=user)


def logout(db: Database, session: sessions.Session, now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.timezone.utc)
    with db.begin() as conn:
        if sessions.revoke(conn, session.id_hash, now):
            record(conn, session.user.actor, "user.logout", f"user:{session.user.username}", {})
