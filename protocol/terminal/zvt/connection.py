"""One ZVT conversation between a cash register (ECR) and a terminal (PT), without I/O.

    conn = ZvtConnection(Role.ECR, "serial")
    conn.send(Authorisation(Bmps(amount=1500, currency=978)))
    link.write(conn.data_to_send())
    for event in conn.receive_data(link.read(...)):   # Delivered, Ack, IntermediateStatus,
        ...                                            # StatusInformation, Completion …
    conn.timer()   # what to wait for next, and how long (the caller owns the clock)

The same class plays the terminal with `Role.PT` (the simulator uses it).  Which side may
send what, and when, is the table `TRANSITIONS` (PA00P016 ch. 3, "master-slave"): the ECR
is master until it sends a command; the PT acknowledges it (80 00 or 84 xx) and, for
commands that run (payment, end of day, …), stays master, sending intermediate status,
status information and print lines, each acknowledged by the ECR, until its Completion
(06 0F) or Abort (06 1E) hands mastership back.  Anything else raises `ZvtProtocolError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from protocol.terminal.zvt.encoding import ZvtProtocolError
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
        self.framer = framer_for(transport)
        self.state = State.IDLE
        self.command: Message | None = None      # the command this conversation runs
        self.t3_s, self.t4_s, self.link_ack_s = t3_s, t4_s, link_ack_s
        self._t4_now = t4_s

    # -- the two directions --------------------------------------------------------------

    def send(self, msg: Message) -> None:
        """Queue `msg` from our role; raises ZvtProtocolError if the state forbids it."""
        self._advance(self.role, msg)
        self.framer.queue(encode_message(msg))

    def data_to_send(self) -> bytes:
        return self.framer.data_to_send()

    def receive_data(self, data: bytes) -> list:
        """Feed bytes from the peer; returns link events and the peer's messages in order."""
        events: list = []
        for event in self.framer.receive_data(data):
            if isinstance(event, ApduReceived):
                msg = decode_apdu(event.apdu)
                self._advance(self.role.peer, msg)
                events.append(msg)
            else:
                events.append(event)
        return events

    # -- state --------------------------------------------------------------------------

    def _advance(self, sender: Role, msg: Message) -> None:
        key = (self.state, sender, type(msg))
        if key not in TRANSITIONS:
            raise ZvtProtocolError(
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

    def reset(self) -> None:
        """Abandon the conversation (timeout, pulled cable): back to IDLE, buffers cleared."""
        self.framer.reset()
        self.state = State.IDLE
        self.command = None

    def retransmit(self) -> bool:
        """Repeat the unacknowledged frame (serial); False when no attempts remain."""
        return self.framer.retransmit()

    @property
    def in_financial_command(self) -> bool:
        return isinstance(self.command, FINANCIAL_COMMANDS)

    def timer(self) -> Timer | None:
        """Which timer runs now, restarted at the caller's last send or receive."""
        if self.framer.awaiting_ack:
            return Timer("link-ack", self.link_ack_s)
        ours = self.role
        waiting_for_peer = {
            State.AWAIT_COMMAND_ACK: P, State.PT_ACTIVE: P, State.AWAIT_ABORT_ACK: P,
            State.AWAIT_ECR_ACK: E, State.AWAIT_FINAL_ACK: E,
        }.get(self.state)
        if waiting_for_peer is None or waiting_for_peer is ours:
            return None
        if self.state is State.PT_ACTIVE:
            return Timer("T4", self._t4_now)
        return Timer("T3", self.t3_s)


__all__ = ["ZvtConnection", "Role", "State", "Timer", "TRANSITIONS", "ZvtProtocolError",
           "Delivered", "FrameRejected", "DeliveryFailed", "CorruptFrame"]
