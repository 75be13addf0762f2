"""The clock the delivery worker schedules by, injectable so days pass in seconds in tests.

`now()` is Unix seconds; `sleep()` waits.  `FakeClock.sleep` returns at once after moving
time forward, so a 48-hour outage with hourly retries runs in a few seconds of real time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Protocol

from hub.store.timeutil import iso


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """Virtual time: starts at `start` (Unix seconds) and only moves when told to."""

    def __init__(self, start: float | None = None):
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(0.0, seconds)

    def advance_to(self, moment: float) -> None:
        self._now = max(self._now, moment)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


def stamp(seconds: float) -> str:
    """Unix seconds as the hub's sortable time string."""
    return iso(dt.datetime.fromtimestamp(seconds, dt.timezone.utc))


def unstamp(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
