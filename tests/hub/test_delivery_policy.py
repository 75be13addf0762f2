"""The retry schedule: Retry-After parsing, backoff bounds."""

from __future__ import annotations

import random

import pytest

from hub.delivery.policy import RetryPolicy


def test_retry_after_reads_seconds_and_dates_with_a_floor_and_a_cap():
    policy = RetryPolicy()
    assert policy.retry_after("120", now=0) == 120
    assert policy.retry_after("0", now=0) == policy.first_delay_s          # never a busy loop
    assert policy.retry_after("99999999", now=0) == policy.max_retry_after_s
    assert policy.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == pytest.approx(60)
    assert policy.retry_after("soon", now=0) is None and policy.retry_after(None, now=0) is None


def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens():
    policy, rng = RetryPolicy(), random.Random(1)
    assert [policy.scheduled_delay(n) for n in (1, 2, 3)] == [2, 4, 8]
    assert policy.scheduled_delay(40) == policy.max_delay_s
    for failures in range(1, 30):
        delay = policy.backoff(failures, rng)
        assert policy.scheduled_delay(failures) * (1 - policy.jitter) <= delay <= policy.scheduled_delay(failures)
