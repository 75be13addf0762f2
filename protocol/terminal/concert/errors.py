"""The one error the Concert codec raises: `ConcertProtocolError`."""

from __future__ import annotations


class ConcertProtocolError(Exception):
    """The peer broke the Concert protocol, or our side tried to (sending out of turn).

    The message says what was wrong in words a technician can act on.  After it the
    connection object is in the ERROR state; start a fresh one (the line itself is fine).
    """
