"""The Concert link's states, the legal moves between them, and its timers, as data.

A Concert exchange is half duplex.  Whoever has something to say opens a session with
ENQ; the other side answers ACK (ready) or NAK (busy); the opener sends one frame and
the other side answers ACK, or NAK to have it sent again; the opener closes with EOT.
A payment is two sessions: the cash register sends the request, then, once the card
holder is done, the terminal opens its own session to send the answer.

`OUR_MOVES` says which command is legal in which state and where it leads,
`PEER_MOVES` what each arriving byte or frame means in each state and where it leads;
`ConcertConnection` runs both tables.  Timers are data: the caller owns the clock, asks
`timer()` what is running and calls `expire()` when it ran out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from protocol.terminal.concert import events as ev


class Role(str, enum.Enum):
    CASH_REGISTER = "cash_register"
    TERMINAL = "terminal"


class State(str, enum.Enum):
    IDLE = "IDLE"                      # no session
    ENQ_SENT = "ENQ_SENT"              # we sent ENQ, wait for ACK/NAK
    PEER_ENQ = "PEER_ENQ"              # peer sent ENQ: our move (ACK or NAK)
    SENDING = "SENDING"                # session ours: our move (frame, or EOT)
    FRAME_SENT = "FRAME_SENT"          # wait for ACK/NAK of our frame
    FRAME_ACKED = "FRAME_ACKED"        # our frame is through: our move (EOT)
    RECEIVING = "RECEIVING"            # session the peer's: wait for its frame
    FRAME_RECEIVED = "FRAME_RECEIVED"  # a good frame arrived: our move (ACK)
    FRAME_CORRUPT = "FRAME_CORRUPT"    # a damaged frame arrived: our move (NAK)
    AWAIT_EOT = "AWAIT_EOT"            # we ACKed the frame, wait for the peer's EOT
    ERROR = "ERROR"                    # the peer broke the protocol: reset() or a fresh connection


OUR_MOVES: dict[tuple[State, type], State] = {
    (State.IDLE, ev.OpenSession): State.ENQ_SENT,
    (State.PEER_ENQ, ev.AcceptSession): State.RECEIVING,
    (State.PEER_ENQ, ev.RefuseSession): State.IDLE,
    (State.SENDING, ev.SendMessage): State.FRAME_SENT,
    (State.SENDING, ev.Retransmit): State.FRAME_SENT,
    (State.SENDING, ev.EndSession): State.IDLE,
    (State.FRAME_ACKED, ev.EndSession): State.IDLE,
    (State.FRAME_RECEIVED, ev.AcceptMessage): State.AWAIT_EOT,
    (State.FRAME_RECEIVED, ev.RejectMessage): State.RECEIVING,
    (State.FRAME_CORRUPT, ev.RejectMessage): State.RECEIVING,
    # Giving up is always allowed while we hold or wait in a session of our own.
    (State.ENQ_SENT, ev.EndSession): State.IDLE,
    (State.FRAME_SENT, ev.EndSession): State.IDLE,
}

class Arrival(str, enum.Enum):
    """What the link state machine sees arrive: a control byte, or a frame once it is whole."""
    ENQ = "ENQ"
    ACK = "ACK"
    NAK = "NAK"
    EOT = "EOT"
    FRAME = "STX…ETX LRC good"
    BAD_FRAME = "STX…ETX LRC bad"   # wrong LRC, a control byte inside, or no ETX in time


# What arrives, in which state, is which event and leads where.  The event is given as
# it is, or as its class when its fields come from what arrived (the message, the
# attempt count).  Bytes with no entry in the current state are reported as
# `LineNoise` and change nothing.  `ConcertConnection` runs this table.
_MOVES_OF_BOTH: dict[tuple[State, Arrival], tuple[object, State]] = {
    (State.IDLE, Arrival.ENQ): (ev.SessionRequested(), State.PEER_ENQ),
    (State.ENQ_SENT, Arrival.ACK): (ev.SessionAccepted(), State.SENDING),
    (State.ENQ_SENT, Arrival.NAK): (ev.SessionRefused("NAK: peer busy or not ready"), State.IDLE),
    (State.ENQ_SENT, Arrival.EOT): (ev.SessionRefused("EOT: peer closed the line"), State.IDLE),
    (State.FRAME_SENT, Arrival.ACK): (ev.MessageAccepted(), State.FRAME_ACKED),
    (State.FRAME_SENT, Arrival.NAK): (ev.MessageRejected, State.SENDING),
    (State.FRAME_SENT, Arrival.EOT): (ev.SessionEnded(early=True), State.IDLE),
    (State.RECEIVING, Arrival.FRAME): (ev.MessageReceived, State.FRAME_RECEIVED),
    (State.RECEIVING, Arrival.BAD_FRAME): (ev.FrameCorrupt, State.FRAME_CORRUPT),
    (State.RECEIVING, Arrival.ENQ): (ev.SessionRequested(), State.PEER_ENQ),  # our ACK was lost
    (State.RECEIVING, Arrival.EOT): (ev.SessionEnded(early=True), State.IDLE),
    (State.AWAIT_EOT, Arrival.EOT): (ev.SessionEnded(), State.IDLE),
    # The frame again: our ACK was lost (MessageReceived says it is a duplicate).
    (State.AWAIT_EOT, Arrival.FRAME): (ev.MessageReceived, State.FRAME_RECEIVED),
    (State.AWAIT_EOT, Arrival.BAD_FRAME): (ev.FrameCorrupt, State.FRAME_CORRUPT),
    (State.AWAIT_EOT, Arrival.ENQ): (ev.SessionRequested(), State.PEER_ENQ),
}

PEER_MOVES: dict[Role, dict[tuple[State, Arrival], tuple[object, State]]] = {
    # Both sides opened at once: the terminal's answer has priority, the cash register
    # yields; to the terminal the register's ENQ is noise while its own ENQ waits.
    Role.CASH_REGISTER: {**_MOVES_OF_BOTH,
                         (State.ENQ_SENT, Arrival.ENQ): (ev.SessionRequested(), State.PEER_ENQ)},
    Role.TERMINAL: dict(_MOVES_OF_BOTH),
}

# States where it is our move: received bytes wait in the buffer (next_event → PAUSED).
OUR_TURN = frozenset({State.PEER_ENQ, State.SENDING, State.FRAME_ACKED,
                      State.FRAME_RECEIVED, State.FRAME_CORRUPT})

# Bounded retransmission: a frame goes out at most 3 times, then the sender gives up
# with EOT.  Three tries is what Concert implementations use for ENQ and for frames.
MAX_FRAME_ATTEMPTS = 3
MAX_ENQ_ATTEMPTS = 3


@dataclass(frozen=True)
class Timer:
    name: str
    seconds: float
    meaning: str


# The link timers.  3 s is the wait the field uses for the ACK and for the frame
# (pypostelium: "the Telium spec says we have to wait up to 3 seconds"); the answer
# timer bounds how long a card holder may take and belongs to the caller's own loop.
T_ACK = Timer("T_ACK", 3.0, "peer's ACK/NAK to our ENQ or to our frame")
T_FRAME = Timer("T_FRAME", 3.0, "peer's frame after we accepted its session; restarted by each byte")
T_EOT = Timer("T_EOT", 2.0, "peer's EOT after we acknowledged its frame")
T_ANSWER = Timer("T_ANSWER", 180.0, "terminal opening its answer session after our request (A010)")

TIMERS: dict[State, Timer] = {
    State.ENQ_SENT: T_ACK,
    State.FRAME_SENT: T_ACK,
    State.RECEIVING: T_FRAME,
    State.AWAIT_EOT: T_EOT,
}
