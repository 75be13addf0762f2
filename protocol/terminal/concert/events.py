"""Events of a Concert link: what the peer did (`next_event()`) and what we do (`send()`).

Received events come out of `ConcertConnection.next_event()`; commands go into
`ConcertConnection.send()`, which returns the bytes to write.  Every event has a
`describe()` for the technician's live log.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.terminal.concert.messages import PaymentAnswer, PaymentRequest
from protocol.terminal.sentinels import NEED_DATA, PAUSED

Message = PaymentRequest | PaymentAnswer

__all__ = ["NEED_DATA", "PAUSED"]  # re-exported: `ev.NEED_DATA` reads well at the call sites


# ---- what the peer did ------------------------------------------------------------

@dataclass(frozen=True)
class SessionRequested:
    """The peer sent ENQ: it wants to send a message.  Answer AcceptSession or RefuseSession."""

    def describe(self) -> str:
        return "ENQ: peer asks to open a session"


@dataclass(frozen=True)
class SessionAccepted:
    def describe(self) -> str:
        return "ACK: peer accepts our session, we may send our message"


@dataclass(frozen=True)
class SessionRefused:
    reason: str

    def describe(self) -> str:
        return f"session refused: {self.reason}"


@dataclass(frozen=True)
class MessageReceived:
    """A frame with a good LRC and a valid message.  Answer AcceptMessage (or RejectMessage).

    `duplicate` is True when the peer sent again a message we already acknowledged in
    this session (our ACK was lost): acknowledge it again but do not act on it twice.
    """

    message: Message
    raw: bytes
    duplicate: bool = False

    def describe(self) -> str:
        again = " (repeat of the message already acknowledged: not acted on twice)" if self.duplicate else ""
        return f"{self.message.describe()}{again}"


@dataclass(frozen=True)
class FrameCorrupt:
    """A frame arrived damaged (bad LRC, no ETX, control byte inside).  Answer RejectMessage."""

    reason: str
    raw: bytes

    def describe(self) -> str:
        return f"damaged frame ({self.reason}): must be refused with NAK"


@dataclass(frozen=True)
class MessageAccepted:
    def describe(self) -> str:
        return "ACK: peer received our message"


@dataclass(frozen=True)
class MessageRejected:
    """The peer NAKed our frame.  Retransmit while `may_retransmit`, else EndSession."""

    attempts: int
    may_retransmit: bool

    def describe(self) -> str:
        tail = "we may send it again" if self.may_retransmit else "no retransmission left"
        return f"NAK: peer refused our message (attempt {self.attempts}), {tail}"


@dataclass(frozen=True)
class SessionEnded:
    """The peer sent EOT.  `early` when it came before the session's message was through."""

    early: bool = False

    def describe(self) -> str:
        return "EOT: peer ended the session" + (" before the message was through" if self.early else "")


@dataclass(frozen=True)
class LineNoise:
    """Bytes that mean nothing where they arrived; ignored, reported for the log."""

    data: bytes
    why: str

    def describe(self) -> str:
        return f"ignored {self.data.hex(' ')} ({self.why})"


@dataclass(frozen=True)
class TimedOut:
    """The caller said the running timer expired (see `ConcertConnection.timer()`)."""

    timer: str
    state: str

    def describe(self) -> str:
        return f"timer {self.timer} expired in state {self.state}"


# ---- what we do ------------------------------------------------------------------

@dataclass(frozen=True)
class OpenSession:
    """ENQ."""


@dataclass(frozen=True)
class AcceptSession:
    """ACK to the peer's ENQ."""


@dataclass(frozen=True)
class RefuseSession:
    """NAK to the peer's ENQ (busy)."""


@dataclass(frozen=True)
class SendMessage:
    """STX data ETX LRC."""

    message: Message


@dataclass(frozen=True)
class Retransmit:
    """The same frame again, after a NAK; bounded by MAX_FRAME_ATTEMPTS."""


@dataclass(frozen=True)
class AcceptMessage:
    """ACK to a frame."""


@dataclass(frozen=True)
class RejectMessage:
    """NAK to a frame."""


@dataclass(frozen=True)
class EndSession:
    """EOT."""


Command = (OpenSession | AcceptSession | RefuseSession | SendMessage | Retransmit
           | AcceptMessage | RejectMessage | EndSession)
