"""What `next_event()` of both terminal codecs returns when it has no event: NEED_DATA, PAUSED.

They are compared by identity (`event is NEED_DATA`), as h11's are.
"""

from __future__ import annotations


class Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def describe(self) -> str:
        return self.name.lower().replace("_", " ")


NEED_DATA = Sentinel("NEED_DATA")
"""Nothing complete in the buffer: read more bytes (or let the running timer expire)."""

PAUSED = Sentinel("PAUSED")
"""It is our move (answer what the peer said): the bytes behind it wait in the buffer."""
