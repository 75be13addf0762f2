"""Who may log in at this desk (the hub's last desk.roster) and the failed logins so far.

The hub publishes its office's whole roster each time, so `replace` swaps it in one
transaction with the time of the document it came from (`heard_at`), which an older
document may not overwrite.  Failures are rows on disk per username, so that stopping
the agent does not reset a lock-out.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Iterable

from agent.store import Store

HEARD_SETTING = "desk_roster_heard_at"


def replace(store: Store, entries: Iterable[dict[str, Any]], heard_at: str) -> int:
    rows = [(e["username"], e["role"], e["verifier"], e["changed_at"]) for e in entries]
    with store.transaction() as db:
        db.execute("DELETE FROM desk_operators")
        db.conn.executemany("INSERT INTO desk_operators(username, role, verifier, changed_at) VALUES (?, ?, ?, ?)",
                            rows)
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (HEARD_SETTING, json.dumps(heard_at)))
    return len(rows)


def heard_at(store: Store) -> str | None:
    """The time of the hub's roster the desk holds (None: it never heard one)."""
    return store.get_setting(HEARD_SETTING)


def find(store: Store, username: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM desk_operators WHERE username = ?", (username,))
    return rows[0] if rows else None


def count(store: Store) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM desk_operators") or 0)


def failures_of(store: Store, username: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM desk_login_failures WHERE username = ?", (username,))
    return rows[0] if rows else None


def note_failure(store: Store, username: str, at: str, lock_for: Callable[[int], float]) -> dict[str, Any]:
    """Count one more failure of `username`; `lock_for(failures)` says how many seconds to lock (0: none)."""
    with store.transaction() as db:
        found = db.execute("SELECT failures FROM desk_login_failures WHERE username = ?", (username,)).fetchone()
        failures = (found[0] if found else 0) + 1
        seconds = lock_for(failures)
        until = None
        if seconds > 0:
            until = (dt.datetime.fromisoformat(at.replace("Z", "+00:00")) + dt.timedelta(seconds=seconds)).isoformat()
        db.execute("INSERT INTO desk_login_failures(username, failures, last_failure_at, locked_until) "
                   "VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET failures = excluded.failures, "
                   "last_failure_at = excluded.last_failure_at, "
                   "locked_until = COALESCE(excluded.locked_until, desk_login_failures.locked_until)",
                   (username, failures, at, until))
    return failures_of(store, username) or {}


def clear_failures(store: Store, username: str) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM desk_login_failures WHERE username = ?", (username,))
