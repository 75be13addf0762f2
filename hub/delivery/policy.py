"""The retry schedule: exponential backoff with jitter, Retry-After honoured, for at least 72 hours.

Failure n (1, 2, 3, …) waits `min(max_delay_s, first_delay_s * factor**(n-1))`, shortened
by up to `jitter` of itself at random so that many confirmations failing together do not
come back together ("equal jitter"; never longer than the schedule, so the schedule is
also an upper bound a test can check).  With the defaults: 2 s, 4 s, 8 s … 1 h, then hourly.

A `Retry-After` answer (seconds or an HTTP date, RFC 9110 §10.2.3) replaces the backoff,
capped at `max_retry_after_s` so a misconfigured server cannot park a payment for weeks,
and never shorter than `first_delay_s`.
A confirmation becomes a dead letter only at the first failure after `give_up_after_s`
(72 h by default) of trying, counted from when it was queued or last replayed.
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    first_delay_s: float = 2.0
    factor: float = 2.0
    max_delay_s: float = 3600.0
    jitter: float = 0.25
    give_up_after_s: float = 72 * 3600.0
    max_retry_after_s: float = 6 * 3600.0

    def scheduled_delay(self, failures: int) -> float:
        """The longest wait after the `failures`-th failure (before jitter)."""
        return min(self.max_delay_s, self.first_delay_s * self.factor ** max(0, failures - 1))

    def backoff(self, failures: int, rng: random.Random) -> float:
        delay = self.scheduled_delay(failures)
        return delay * (1.0 - self.jitter * rng.random())

    def retry_after(self, header: str | None, now: float) -> float | None:
        """Seconds to wait from a Retry-After header, or None when absent or unreadable."""
        if not header:
            return None
        header = header.strip()
        if header.isdigit():
            seconds = float(header)
        else:
            try:
                moment = email.utils.parsedate_to_datetime(header)
            except (TypeError, ValueError):
                return None
            if moment is None:
                return None
            seconds = moment.timestamp() - now
        # Floor at the first backoff step: "Retry-After: 0" on every answer must not become a busy loop.
        return min(max(self.first_delay_s, seconds), self.max_retry_after_s)
