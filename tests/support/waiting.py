"""Waiting in tests: poll a condition until it holds, or fail saying what was awaited and for how long.

Every test that waits for another thread, process or broker waits through `wait_until` (or its
async twin `wait_until_async`, for Textual pilots and asyncio tests).  Both return the
condition's first true value and raise `WaitTimeout` when time runs out, so a caller cannot
forget to assert; the message names what was awaited, the time given, and, when the caller
passes `detail`, what the world looked like at that moment (a screen, a log tail, a state).

A condition may itself raise (e.g. an AssertionError when the process it waits on died): that
ends the wait at once with the condition's own message.  `never_within` is the opposite check:
nothing of the kind happens for a while.

"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.02   # short against every timeout in the suite, long enough not to spin a shared core


class WaitTimeout(AssertionError, TimeoutError):
    """The awaited condition did not hold in time: a test failure, and a TimeoutError for callers
    that turn it into their own error (a broker that did not start)."""


def _timed_out(what: str, timeout_s: float, detail: Callable[[], str] | None) -> WaitTimeout:
    message = f"timed out after {timeout_s:g} s waiting for {what}"
    if detail is not None:
        message += f"\n{detail()}"
    return WaitTimeout(message)


def wait_until(predicate: Callable[[], T], timeout_s: float, what: str, *, poll_s: float = POLL_S,
               detail: Callable[[], str] | None = None) -> T:
    """Call `predicate` every `poll_s` until it returns something true, and return that.

    Raises WaitTimeout after `timeout_s` seconds; the condition gets one last look at the end so a
    slow poll never loses a result that arrived just in time.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout_s, detail)
        time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))


def never_within(predicate: Callable[[], object], within_s: float, what: str, *, poll_s: float = POLL_S) -> None:
    """The opposite wait: fail as soon as `predicate` returns something true during `within_s`
    seconds ("no command is sent within a second"), else return after the full time."""
    deadline = time.monotonic() + within_s
    while True:
        value = predicate()
        if value:
            raise AssertionError(f"expected no {what} within {within_s:g} s, got {value!r}")
        if time.monotonic() >= deadline:
            return
        time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))


async def wait_until_async(
predicate: Callable[[], T], timeout_s: float, what: str, *,
                           pause: Callable[[float], Awaitable[object]] = asyncio.sleep,
                           poll_s: float = 0.05, detail: Callable[[], str] | None = None) -> T:
    """`wait_until` for code running on an event loop: between looks it awaits `pause(poll_s)`
    (`asyncio.sleep`, or a Textual pilot's `pause`, which also lets the app process its messages)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout_s, detail)
        await pause(poll_s)
