"""Throttling the self-service lookups: too many that found nothing from one address, and the
next must wait.  The counters are rows of `selfservice_lookups`, so every hub process sharing
the database counts the same tries (the console's login throttle, hub/users/throttle.py, works
the same way on its own table: a citizen's guesses never lock an office's staff out).

The wait ends when the oldest failure that counts leaves the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from hub.store.tables_selfservice import selfservice_lookups as lookups
from hub.store.timeutil import iso
from hub.users.throttle import wait_after_failures


@dataclass(frozen=True)
class LookupPolicy:
    max_failures: int = 10           # an office's public PC, or a household behind one address, shares it
    window_s: int = 15 * 60


def wait_seconds(conn: Connection, address: str, policy: LookupPolicy, now: dt.datetime) -> int:
    """How long the next lookup from `address` must wait (0: it may go ahead)."""
    since = iso(now - dt.timedelta(seconds=policy.window_s))
    return wait_after_failures(conn, lookups, [lookups.c.address == address[:64]], policy.max_failures, since,
                               policy.window_s, now)


KEPT_S = 24 * 3600
"""An address's lookups older than a day are dropped when it looks up again (through its index):
the throttle needs only the window's, and a day is kept for an admin to see a guesser's pace."""


def note(conn: Connection, address: str, succeeded: bool, now: dt.datetime) -> None:
    conn.execute(lookups.delete().where(lookups.c.address == address[:64],
                                        lookups.c.at < iso(now - dt.timedelta(seconds=KEPT_S))))
    conn.execute(lookups.insert().values(at=iso(now), address=address[:64], succeeded=succeeded))


def failures(conn: Connection, address: str) -> int:
    """Lookups from `address` that found nothing (within the last day): what the tests and an admin look at."""
    return conn.execute(select(func.count()).select_from(lookups)
                        .where(lookups.c.address == address[:64], lookups.c.succeeded.is_(False))).scalar_one()
