"""Reconnect backoff: exponential, capped, jittered (a herd of agents spreads out)."""

import random

from agent.sync import Backoff


def test_delays_grow_to_the_cap_with_jitter_and_reset_after_a_connection():
    backoff = Backoff(0.5, 8.0, random.Random(7))
    delays = [backoff.next_delay() for _ in range(10)]
    ceilings = [min(8.0, 0.5 * 2 ** n) for n in range(10)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays) <= 8.0 and delays[-1] >= 4.0
    herd = {round(Backoff(0.5, 8.0, random.Random(seed)).next_delay(), 3) for seed in range(50)}
    assert len(herd) > 40                             # fifty agents do not retry in lockstep
    backoff.reset()
    assert backoff.next_delay() <= 0.5
