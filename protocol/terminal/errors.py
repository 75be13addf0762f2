"""The errors both terminal codecs (ZVT and Concert) raise, named as h11 names its own.

`ProtocolError` is the base: bytes or a message the protocol does not allow.  The pure
layers (field encodings, message parsing) raise it as it is, since they cannot know
whose bytes they hold.  A connection says whose fault it was:

- `LocalProtocolError`: our own side tried what the protocol forbids here (a message
  out of turn, one that cannot be encoded).  Nothing was sent and the connection is as
  it was; the caller has a bug to fix.
- `RemoteProtocolError`: the peer broke the protocol.  Every event parsed before the
  bad bytes was handed out by `next_event()` first; from the error on, the connection
  is in its ERROR state and says so on every further use until it is `reset()`.

Catch `ProtocolError` to catch both.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Bytes or a message the terminal protocol does not allow; the text says what was wrong."""


class LocalProtocolError(ProtocolError):
    """Our side tried to send what the protocol forbids now; nothing was sent."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol; the connection is in ERROR until `reset()`."""
