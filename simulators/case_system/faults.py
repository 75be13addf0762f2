"""What the simulated case system is told to do wrong, and for how long.

Modes: ``ok``; ``fail`` (answer webhooks with `status`, 500 by default); ``slow``
(wait `delay_s` before answering anything); ``gone`` (answer webhooks 410, which makes
the hub disable the endpoint); ``down`` (answer everything but /admin with 503, as a
proxy does in front of a dead backend).  A mode may last `for_s` seconds or the next
`count` webhooks, then the simulator is back to ``ok``.  `retry_after` adds a
``Retry-After`` header to failure answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["ok", "fail", "slow", "gone", "down"]


class FaultRequest(BaseModel):
    """The body of ``POST /admin/mode`` (and what the start flags build)."""

    model_config = ConfigDict(extra="forbid")
    mode: Mode
    status: int = Field(default=500, ge=400, le=599)
    delay_s: float = Field(default=2.0, ge=0, le=600)
    for_s: float | None = Field(default=None, gt=0)
    count: int | None = Field(default=None, ge=1)
    retry_after: int | None = Field(default=None, ge=0, le=86_400)


@dataclass
class Faults:
    """The current fault plan; `monotonic` is injectable so tests need not wait."""

    monotonic: callable = time.monotonic
    plan: FaultRequest = field(default_factory=lambda: FaultRequest(mode="ok"))
    until: float | None = None
    remaining: int | None = None

    def set(self, request: FaultRequest) -> None:
        self.plan = request
        self.until = self.monotonic() + request.for_s if request.for_s else None
        self.remaining = request.count

    def current(self) -> FaultRequest:
        if self.plan.mode != "ok" and self.until is not None and self.monotonic() >= self.until:
            self.set(FaultRequest(mode="ok"))
        return self.plan

    def used_by_webhook(self, served_under: FaultRequest) -> None:
        """Count one webhook against a `count`-limited mode, if it was served under that
        mode: a slow webhook still sleeping when `fail … count 3` is set must not use
        up the failures it never gave."""
        if served_under is self.plan and self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.set(FaultRequest(mode="ok"))

    def describe(self) -> str:
        plan = self.current()
        if plan.mode == "ok":
            return "ok"
        parts = [plan.mode]
        if plan.mode == "fail":
            parts.append(str(plan.status))
        if plan.mode == "slow":
            parts.append(f"{plan.delay_s:g} s")
        if self.until is not None:
            parts.append(f"for {max(0.0, self.until - self.monotonic()):.0f} s more")
        if self.remaining is not None:
            parts.append(f"for the next {self.remaining} webhook(s)")
        if plan.retry_after is not None:
            parts.append(f"Retry-After {plan.retry_after}")
        return " ".join(parts)

    def snapshot(self) -> dict:
        plan = self.current()
        return {**plan.model_dump(), "describe": self.describe(),
                "remaining_s": None if self.until is None else max(0.0, self.until - self.monotonic()),
                "remaining_count": self.remaining}
