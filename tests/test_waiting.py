"""The one way tests wait: the value comes back, a timeout says what was awaited and for how long."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support.waiting import WaitTimeout, never_within, wait_until, wait_until_async


def test_wait_until_returns_the_first_true_value():
    answers = iter([None, [], ["ack"]])
    assert wait_until(lambda: next(answers), 1, "an ack", poll_s=0.001) == ["ack"]


def test_a_timeout_names_what_was_awaited_how_long_and_the_detail():
    started = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"timed out after 0.2 s waiting for the hub's ack\nqueue: 3") as failure:
        wait_until(lambda: False, 0.2, "the hub's ack", detail=lambda: "queue: 3")
    assert 0.2 <= time.monotonic() - started < 2
    assert isinstance(failure.value, AssertionError) and isinstance(failure.value, TimeoutError)


def test_a_condition_that_raises_ends_the_wait_with_its_own_message():
    def died() -> bool:
        raise AssertionError("the demo exited early")
    with pytest.raises(AssertionError, match="exited early"):
        wait_until(died, 10, "the demo's screen")


def test_never_within_fails_as_soon_as_the_thing_happens():
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"expected no resend command within 5 s, got \['resend'\]"):
        never_within(lambda: ["resend"] if time.monotonic() - started > 0.05 else [], 5, "resend command")
    assert time.monotonic() - started < 2
    never_within(lambda: [], 0.05, "resend command")


def test_the_async_twin_lets_the_loop_run_between_looks():
    async def scenario() -> str:
        done: list[str] = []
        asyncio.get_running_loop().call_later(0.05, done.append, "delivered")
        value = await wait_until_async(lambda: done, 2, "the delivery")
        with pytest.raises(WaitTimeout, match="waiting for nothing"):
            await wait_until_async(lambda: None, 0.1, "nothing")
        return value[0]
    assert asyncio.run(scenario()) == "delivered"
