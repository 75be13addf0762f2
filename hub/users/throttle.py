"""Login throttling: too many failures for one username, or from one address, and the
next try must wait.  The counters are rows in `login_attempts`, so every hub process
sharing the database counts the same failures.

A username's failures count from its last successful login; an address's count whatever
usernames were tried from it (a guesser walking through names).  The wait ends when the
oldest failure that counts leaves the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select

from hub.store.tables_users import login_attempts
from hub.store.timeutil import iso, parse


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_per_user: int = 5
    max_failures_per_address: int = 20     # an office behind one NAT address shares it
    window_s: int = 15 * 60


def wait_after_failures(conn: Connection, table: Table, where, limit: int, since: str, window_s: int,
                        now: dt.datetime) -> int:
    """Seconds until a try may go ahead, after `limit` failures since `since` among `table`'s rows
    (`at`, `succeeded`) matching `where`; 0 when fewer failed."""
    failures = (select(table.c.at)
                .where(*where, table.c.succeeded.is_(False), table.c.at >= since)
                .order_by(table.c.at.desc()).limit(limit))
    times = list(conn.execute(failures).scalars())
    if len(times) < limit:
        return 0
    # The limit-th newest failure is the one whose leaving the window frees a try.
    free_at = parse(times[-1]) + dt.timedelta(seconds=window_s)
    return max(1, int((free_at - now).total_seconds() + 0.999))


def wait_seconds(conn: Connection, username: str, address: str, policy: ThrottlePolicy,
                 now: dt.datetime) -> int:
    """How long the next try for `username` from `address` must wait (0: it may go ahead)."""
    window_start = iso(now - dt.timedelta(seconds=policy.window_s))
    last_success = conn.execute(select(func.max(login_attempts.c.at))
                                .where(login_attempts.c.username == username,
                                       login_attempts.c.succeeded.is_(True))).scalar()
    user_start = max(window_start, last_success) if last_success else window_start
    by_user = wait_after_failures(conn, login_attempts, [login_attempts.c.username == username],
                                  policy.max_failures_per_user, user_start, policy.window_s, now)
    by_address = wait_after_failures(conn, login_attempts, [login_attempts.c.address == address],
                                     policy.max_failures_per_address, window_start, policy.window_s, now)
    return max(by_user, by_address)


def note(conn: Connection, username: str, address: str, succeeded: bool, now: dt.datetime) -> None:
    conn.execute(login_attempts.insert().values(at=iso(now), username=username[:64], address=address[:64],
                                                succeeded=succeeded))


def failures(conn: Connection, *, username: str | None = None, address: str | None = None) -> int:
    """Failed attempts recorded (all time) for a username or an address: what the tests and an admin look at."""
    query = select(func.count()).select_from(login_attempts).where(login_attempts.c.succeeded.is_(False))
    if username is not None:
        query = query.where(login_attempts.c.username == username)
    if address is not None:
        query = query.where(login_attempts.c.address == address)
    return conn.execute(query).scalar_one()
