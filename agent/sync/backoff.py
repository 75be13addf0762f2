"""Jittered exponential backoff for reconnecting to the broker.

Hundreds of agents lose the broker at the same moment (a restart, a network cut);
without jitter they all come back in the same millisecond and knock it over again.
"Equal jitter": half of the exponential delay is fixed, half random, so a client
never hammers and the herd spreads out.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base_s: float = 0.5, max_s: float = 30.0, rng: random.Random | None = None):
        self.base_s = base_s
        self.max_s = max_s
        self.attempt = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.max_s, self.base_s * (2 ** self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0
