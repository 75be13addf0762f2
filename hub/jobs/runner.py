"""The scheduled jobs' runner: each job every so often, in one hub process at a time.

Any number of processes may run `--role jobs` (a spare on a second machine): each job
runs under its lock (hub/store/locks.py), so when two are due at once in two processes
one of them runs it and the other skips that turn.  A job that fails is logged and tried
again at its next turn; it never stops the others or the process.

Jobs today:
  retention   every hour: expired login attempts, ended sessions, stale shown-once
              secrets (hub/users/retention.py)
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from hub.store import locks
from hub.store.db import Database
from hub.users import retention

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str                                   # also its lock's name
    every_s: float
    run: Callable[[Database], str]              # returns a line for the log


def _retention(db: Database) -> str:
    with db.begin() as conn:
        return f"removed {retention.remove_expired(conn, dt.datetime.now(dt.timezone.utc))}"


JOBS = (Job("retention", 3600.0, _retention),)


def run_due(db: Database, jobs: tuple[Job, ...], next_at: dict[str, float], now: float) -> list[str]:
    """Run every job whose turn has come; returns the names of those this process ran."""
    ran = []
    for job in jobs:
        if now < next_at.get(job.name, 0.0):
            continue
        next_at[job.name] = now + job.every_s
        try:
            with locks.held_alone(db, job.name) as mine:
                if not mine:
                    log.info("job %s: another hub process is running it; skipped this turn", job.name)
                    continue
                log.info("job %s: %s", job.name, job.run(db))
                ran.append(job.name)
        except Exception:
            log.exception("job %s failed; it runs again in %.0f s", job.name, job.every_s)
    return ran


class JobsRunner:
    """The jobs on a thread of their own, for `hub serve`."""

    def __init__(self, db: Database, jobs: tuple[Job, ...] = JOBS, tick_s: float = 5.0):
        self.db, self.jobs, self.tick_s = db, jobs, tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "JobsRunner":
        self._thread = threading.Thread(target=self._main, name="hub-jobs", daemon=True)
        self._thread.start()
        return self

    def _main(self) -> None:
        next_at: dict[str, float] = {}
        while not self._stop.is_set():
            run_due(self.db, self.jobs, next_at, time.monotonic())
            self._stop.wait(self.tick_s)

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
