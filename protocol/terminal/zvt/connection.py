"""One ZVT conversation between a cash register (ECR) and a terminal (PT), without I/O.

    conn = ZvtConnection(Role.ECR, "serial")
    conn.send(Authorisation(Bmps(amount=1500, currency=978)))
    link.write(conn.data_to_send())
    conn.receive_data(link.read(...))
    while (event := conn.next_event()) is not NEED_DATA:   # Delivered, Ack, IntermediateStatus,
        ...                                                 # StatusInformation, Completion …
    conn.timer()   # what to wait for next, and how long (the caller owns the clock)

The face is h11's and the Concert codec's: `receive_data()` takes whatever the line
delivered, `next_event()` hands out one event at a time, NEED_DATA when it needs more
bytes, PAUSED when it is our move (the peer's next message waits until we answered the
last one).  The same class plays the terminal with `Role.PT` (the simulator uses it).

Which side may send what, and when, is the table `TRANSITIONS` (PA00P016 ch. 3,
"master-slave"): the ECR is master until it sends a command; the PT acknowledges it
(80 00 or 84 xx) and, for commands that run (payment, end of day, …), stays master,
sending intermediate status, status information and print lines, each acknowledged by
the ECR, until its Completion (06 0F) or Abort (06 1E) hands mastership back.  Sending
out of turn raises `LocalProtocolError` and changes nothing.  A peer out of turn, or
bytes that are no ZVT, raise `RemoteProtocolError` from `next_event()` once the events
before them were handed out; the connection is then in ERROR until `reset()`.

>>> from protocol.terminal.zvt.bmp import Bmps
>>> ecr = ZvtConnection(Role.ECR, "tcp")
>>> ecr.send(Authorisation(Bmps(amount=1500, currency=978)))
>>> ecr.receive_data(bytes.fromhex("80 00 00" "04 0F 02 27 00" "06 D1 00"))
>>> ecr.next_event(), ecr.next_event()
(Ack(), StatusInformation(bmps=Bmps(result_code=0)))
>>> ecr.next_event()          # the status information must be acknowledged first
PAUSED
>>> ecr.send(Ack())
>>> ecr.next_event()
Traceback (most recent call last):
...
protocol.terminal.errors.RemoteProtocolError: the terminal broke the protocol: print line without its attribute byte
>>> ecr.state
<State.ERROR: 'error'>
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from protocol.terminal.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from protocol.terminal.sentinels import NEED_DATA, PAUSED
from protocol.terminal.zvt.framing import (ApduReceived, CorruptFrame, Delivered,
                                           DeliveryFailed, FrameRejected, framer_for)
from protocol.terminal.zvt.messages import (Abort, AbortRequest, Ack, Authorisation,
                                            Completion, EndOfDay, IntermediateStatus, LogOff,
                                            Message, Nack, PrintLine, PrintTextBlock,
                                            Refund, Registration, RepeatReceipt, Reversal,
                                            StatusEnquiry, StatusInformation, UnknownMessage,
                                            decode_apdu, encode_message)

# Timers, PA00P016 ch. 3.2 (the caller measures time, the codec says which timer runs).
LINK_ACK_S = 2.0     # serial: ACK/NAK of a frame is due promptly; we allow 2 s
T3_S = 5.0           # T3: the PT's 80 00 / 84 xx after a command; the ECR's 80 00 after a PT message
T4_S = 180.0         # T4: between the PT's messages while a command runs; restarted by every
                     # intermediate status and print line; an intermediate status may ask for longer


class Role(enum.Enum):
    ECR = "ecr"
    PT = "pt"

    @property
    def peer(self) -> "Role":
        return Role.PT if self is Role.ECR else Role.ECR


class State(enum.Enum):
    IDLE = "idle"                          # ECR is master, nothing running
    AWAIT_COMMAND_ACK = "await_command_ack"  # ECR sent a command, PT must answer 80 00 / 84 xx
    PT_ACTIVE = "pt_active"                # PT is master and working on the command
    AWAIT_ECR_ACK = "await_ecr_ack"        # PT sent a message, ECR must answer 80 00
    AWAIT_FINAL_ACK = "await_final_ack"    # PT sent completion/abort, ECR must answer 80 00
    AWAIT_ABORT_ACK = "await_abort_ack"    # ECR asked the PT to abort (06 B0)
    ERROR = "error"                        # the peer broke the protocol: reset() first


RUNNING_COMMANDS = (Registration, Authorisation, Refund, Reversal, EndOfDay, StatusEnquiry,
                    RepeatReceipt)
FINANCIAL_COMMANDS = (Authorisation, Refund, Reversal)
SHORT_COMMANDS = (LogOff,)
PT_REPORTS = (IntermediateStatus, StatusInformation, PrintLine, PrintTextBlock)
PT_ENDINGS = (Completion, Abort)

E, P = Role.ECR, Role.PT
# (state, sender, message type) -> next state; `None` = depends on the command (see _after_ack)
TRANSITIONS: dict[tuple[State, Role, type], State | None] = {}
for _cmd in RUNNING_COMMANDS + SHORT_COMMANDS:
    TRANSITIONS[(State.IDLE, E, _cmd)] = State.AWAIT_COMMAND_ACK
TRANSITIONS.update({
    (State.AWAIT_COMMAND_ACK, P, Ack): None,
    (State.AWAIT_COMMAND_ACK, P, Nack): State.IDLE,
    (State.AWAIT_COMMAND_ACK, P, Abort): State.AWAIT_FINAL_ACK,
    (State.AWAIT_ECR_ACK, E, Ack): State.PT_ACTIVE,
    (State.AWAIT_ECR_ACK, E, Nack): State.PT_ACTIVE,   # 84 9C: ECR asks for a repetition
    (State.AWAIT_FINAL_ACK, E, Ack): State.IDLE,
    (State.PT_ACTIVE, E, AbortRequest): State.AWAIT_ABORT_ACK,
    (State.AWAIT_ABORT_ACK, P, Ack): State.PT_ACTIVE,
    (State.AWAIT_ABORT_ACK, P, Nack): State.PT_ACTIVE,
    # the PT may answer the abort request straight with its Abort
    (State.AWAIT_ABORT_ACK, P, Abort): State.AWAIT_FINAL_ACK,
})
# Commands we do not model (06 70 diagnosis, 06 E0 display text …) still follow the
# master/slave rule: the ECR may send one when idle (the PT answers 84 83 if it cannot
# do it); the PT may send one while it is master, and the ECR acknowledges and ignores it.
TRANSITIONS[(State.IDLE, E, UnknownMessage)] = State.AWAIT_COMMAND_ACK
TRANSITIONS[(State.PT_ACTIVE, P, UnknownMessage)] = State.AWAIT_ECR_ACK
for _report in PT_REPORTS:
    TRANSITIONS[(State.PT_ACTIVE, P, _report)] = State.AWAIT_ECR_ACK
for _end in PT_ENDINGS:
    TRANSITIONS[(State.PT_ACTIVE, P, _end)] = State.AWAIT_FINAL_ACK

# States in which one side owes the other an answer before anything else may be said.
# When that side is us, the peer's next message waits in the buffer (next_event → PAUSED).
ANSWER_OWED_BY: dict[State, Role] = {
    State.AWAIT_COMMAND_ACK: P, State.AWAIT_ABORT_ACK: P,
    State.AWAIT_ECR_ACK: E, State.AWAIT_FINAL_ACK: E,
}


@dataclass(frozen=True)
class Timer:
    """Wait at most `seconds` (from now) for the next event; `name` says which timer."""
    name: str
    seconds: float


class ZvtConnection:
    def __init__(self, role: Role, transport: str = "serial", *, t3_s: float = T3_S,
                 t4_s: float = T4_S, link_ack_s: float = LINK_ACK_S):
        self.role = role
        self.transport = transport
        self.t3_s, self.t4_s, self.link_ack_s = t3_s, t4_s, link_ack_s
        self.reset()

    def reset(self) -> None:
        """Abandon the conversation (timeout, pulled cable, ERROR): back to IDLE, buffers cleared."""
        self.framer = framer_for(self.transport)
        self.state = State.IDLE
        self.command: Message | None = None      # the command this conversation runs
        self.error: str | None = None            # what the peer did wrong, in ERROR
        self._t4_now = self.t4_s
        self._received: deque = deque()          # framer events next_event() has not handed out
        self._line_error: str | None = None      # what the framer refused, after those events

    # -- the two directions --------------------------------------------------------------

    def send(self, msg: Message) -> None:
        """Queue `msg` from our role; LocalProtocolError (nothing queued) if it is not legal now."""
        if self.state is State.ERROR:
            raise LocalProtocolError(f"cannot send {msg.NAME}: {self._in_error()}")
        try:
            apdu = encode_message(msg)
            self._advance(self.role, msg)
        except ProtocolError as exc:
            raise LocalProtocolError(str(exc)) from None
        self.framer.queue(apdu)

    def data_to_send(self) -> bytes:
        return self.framer.data_to_send()

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the peer; read what they carry with `next_event()`."""
        if self.state is State.ERROR:
            raise RemoteProtocolError(self._in_error())
        if self._line_error is not None:
            return  # the line already broke: what follows the bad bytes means nothing
        try:
            self.framer.receive_data(data, self._received)
        except ProtocolError as exc:
            self._line_error = str(exc)

    def next_event(self):
        """The next link event or peer message; NEED_DATA (read more) or PAUSED (our move).

        Raises RemoteProtocolError, once every event before the bad bytes was handed
        out, when the peer broke the protocol; the connection is in ERROR from then on.
        """
        if self.state is State.ERROR:
            raise RemoteProtocolError(self._in_error())
        if self._received:
            event = self._received[0]
            if not isinstance(event, ApduReceived):
                return self._received.popleft()
            if ANSWER_OWED_BY.get(self.state) is self.role:
                return PAUSED
            self._received.popleft()
            try:
                msg = decode_apdu(event.apdu)
                self._advance(self.role.peer, msg)
            except ProtocolError as exc:
                raise self._fail(str(exc)) from None
            return msg
        if self._line_error is not None:
            raise self._fail(self._line_error)
        return NEED_DATA

    # -- state --------------------------------------------------------------------------

    def _advance(self, sender: Role, msg: Message) -> None:
        key = (self.state, sender, type(msg))
        if key not in TRANSITIONS:
            raise ProtocolError(
                f"{sender.value.upper()} may not send {msg.NAME} ({encode_message(msg)[:2].hex(' ')})"
                f" in state {self.state.value}")
        nxt = TRANSITIONS[key]
        if self.state is State.IDLE:
            self.command = msg
            self._t4_now = self.t4_s
        if nxt is None:  # the PT accepted the command
            nxt = State.PT_ACTIVE if isinstance(self.command, RUNNING_COMMANDS) else State.IDLE
        if isinstance(msg, IntermediateStatus) and msg.timeout_s:
            # PA00P015 04 FF: the PT may announce how long the next step can take.
            self._t4_now = max(self.t4_s, float(msg.timeout_s))
        self.state = nxt
        if nxt is State.IDLE:
            self.command = None

    def _fail(self, reason: str) -> RemoteProtocolError:
        """The peer broke the protocol: into ERROR (the command stays known), and the error."""
        peer = "terminal" if self.role is Role.ECR else "cash register"
        self.state = State.ERROR
        self.error = f"the {peer} broke the protocol: {reason}"
        self._received.clear()
        return RemoteProtocolError(self.error)

    def _in_error(self) -> str:
        return f"the connection is in ERROR ({self.error}); reset() it once the line is quiet"

    def retransmit(self) -> bool:
        """Repeat the unacknowledged frame (serial); False when no attempts remain."""
        return self.framer.retransmit()

    @property
    def in_financial_command(self) -> bool:
        return isinstance(self.command, FINANCIAL_COMMANDS)

    def timer(self) -> Timer | None:
        """Which timer runs now, restarted at the caller's last send or receive."""
        if self.state is State.ERROR:
            return None  # nothing to wait for in a broken conversation: reset() it
        if self.framer.awaiting_ack:
            return Timer("link-ack", self.link_ack_s)
        waiting_for = P if self.state is State.PT_ACTIVE else ANSWER_OWED_BY.get(self.state)
        if waiting_for is None or waiting_for is self.role:
            return None
        if self.state is State.PT_ACTIVE:
            return Timer("T4", self._t4_now)
        return Timer("T3", self.t3_s)


__all__ = ["ZvtConnection", "Role", "State", "Timer", "TRANSITIONS", "NEED_DATA", "PAUSED",
           "Delivered", "FrameRejected", "DeliveryFailed", "CorruptFrame"]
