"""Deliberate crash points for the kill tests: `CP_CRASH_AT=<point>` kills the process there.

The crash tests run a real agent process and need it to die at an exact step of the
payment life (after the intent commit, after the terminal approved, during publish…).
`crash_point(name)` SIGKILLs the process when CP_CRASH_AT names that point, like
`kill -9` would: no atexit, no flush, no finally.  Unset in production: a no-op.
Points: after_intent, after_approval, after_commit, after_receipt, during_publish,
after_puback; of a void or refund (agent/voids.py): void_after_intent, void_after_approval,
void_after_commit, void_after_receipt.  `CP_CRASH_AFTER=N` lets the point pass N times before firing.
"""

from __future__ import annotations

import os
import signal

_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    if os.environ.get("CP_CRASH_AT") != name:
        return
    seen = _passes.get(name, 0)
    _passes[name] = seen + 1
    if seen < int(os.environ.get("CP_CRASH_AFTER", "0")):
        return
    os.kill(os.getpid(), signal.SIGKILL)
