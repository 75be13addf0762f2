"""Retention of the console's short-lived records: what no one needs once it has ended.

- `login_attempts` older than LOGIN_ATTEMPTS_KEPT_DAYS: the throttle looks back one
  window (at most a day, `[web] login_window_minutes`); an admin reading failures after an
  incident has three months.
- `user_sessions` that ended (revoked, or past their lifetime) more than
  ENDED_SESSIONS_KEPT_DAYS ago.  A session only idle too long has no end stamp, so its
  lifetime's end (`expires_at`) is what counts: it is never longer than 30 days.
- `shown_once` secrets past their five minutes (normally swept by the next one).

Safe to run twice or at once in several processes (`hub serve --role jobs` runs it under
its lock, hub/jobs/runner.py): each delete is idempotent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, or_

from hub.store.tables_users import login_attempts, shown_once, user_sessions
from hub.store.timeutil import iso

LOGIN_ATTEMPTS_KEPT_DAYS = 90
ENDED_SESSIONS_KEPT_DAYS = 90


@dataclass(frozen=True)
class Removed:
    login_attempts: int
    sessions: int
    shown_once: int

    def __str__(self) -> str:
        return (f"{self.login_attempts} login attempts, {self.sessions} ended sessions, "
                f"{self.shown_once} expired shown-once secrets")


def remove_expired(conn: Connection, now: dt.datetime) -> Removed:
    attempts_before = iso(now - dt.timedelta(days=LOGIN_ATTEMPTS_KEPT_DAYS))
    sessions_before = iso(now - dt.timedelta(days=ENDED_SESSIONS_KEPT_DAYS))
    attempts = conn.execute(login_attempts.delete().where(login_attempts.c.at < attempts_before)).rowcount
    sessions = conn.execute(user_sessions.delete().where(or_(user_sessions.c.revoked_at < sessions_before,
                                                             user_sessions.c.expires_at < sessions_before))).rowcount
    secrets = conn.execute(shown_once.delete().where(shown_once.c.expires_at <= iso(now))).rowcount
    return Removed(attempts, sessions, secrets)
