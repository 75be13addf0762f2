"""A Concert V2 link without I/O, in either role: bytes in → events, commands → bytes out.

Like h11: `receive_data()` takes whatever the line delivered, `next_event()` returns one
event at a time (or NEED_DATA / PAUSED), `send(command)` returns the bytes to write.
Nothing here reads a clock or a port; `timer()` says which timer should be running and
`expire()` is what the caller calls when it ran out.

Frames are parsed by position: after STX come printable data characters up to ETX, and
the one byte after ETX is the LRC *whatever its value*, even when it equals ETX, EOT,
ENQ or STX.  A damaged frame (bad LRC, control byte inside, no ETX within the longest
message) is a `FrameCorrupt` event to be refused with NAK so the sender retransmits;
a frame that is intact but is not a Concert V2 message raises `RemoteProtocolError` and
leaves the connection in ERROR.  Which byte means what in which state is the table
`states.PEER_MOVES`; which command is legal when, `states.OUR_MOVES` (a command out of
turn raises `LocalProtocolError` and changes nothing).

>>> from protocol.terminal.concert import events as ev
>>> from protocol.terminal.concert.messages import PaymentRequest
>>> till = ConcertConnection(Role.CASH_REGISTER)
>>> till.send(ev.OpenSession())
b'\\x05'
>>> till.receive_data(b'\\x06'); till.next_event()
SessionAccepted()
>>> till.send(ev.SendMessage(PaymentRequest(pos_number=1, amount_minor=1250)))[:3]
b'\\x0201'
"""

from __future__ import annotations

from protocol.terminal.concert import events as ev
from protocol.terminal.concert.messages import (
    ACK, CONTROL_NAMES, ENQ, EOT, ETX, MAX_DATA_LENGTH, NAK, STX, PaymentAnswer, PaymentRequest, lrc,
)
from protocol.terminal.concert.states import (
    MAX_FRAME_ATTEMPTS, OUR_MOVES, OUR_TURN, PEER_MOVES, TIMERS, Arrival, Role, State, Timer,
)
from protocol.terminal.errors import LocalProtocolError, ProtocolError, RemoteProtocolError

# Unread bytes we hold at most.  A whole V2 exchange is under 100 bytes; 4 KiB leaves
# room for a line full of noise while bounding what a flooding peer can make us keep
# (the same idea as h11's max_incomplete_event_size).
MAX_BUFFER = 4096


def frame(data: bytes) -> bytes:
    """STX data ETX LRC, the LRC being the XOR of data and ETX."""
    return bytes([STX]) + data + bytes([ETX, lrc(data + bytes([ETX]))])


def render(data: bytes) -> str:
    """Bytes as a technician reads them: control names in angle brackets, text as text."""
    out = []
    for b in data:
        if b in CONTROL_NAMES:
            out.append(f"<{CONTROL_NAMES[b]}>")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"<0x{b:02X}>")
    return "".join(out)


def render_frame(raw: bytes) -> str:
    """A whole frame, with its last byte shown as the LRC it is, not as a control byte."""
    if len(raw) >= 3 and raw[0] == STX and raw[-2] == ETX:
        return f"<STX>{render(raw[1:-2])}<ETX><LRC 0x{raw[-1]:02X}>"
    return render(raw)


class ConcertConnection:
    """One end of a Concert V2 serial link, as cash register or as terminal."""

    def __init__(self, role: Role, max_buffer: int = MAX_BUFFER) -> None:
        self.role = role
        self.state = State.IDLE
        self.error: str | None = None          # what the peer did wrong, in ERROR
        self._moves = PEER_MOVES[role]
        self._max_buffer = max_buffer
        self._buffer = bytearray()
        self._frame: bytearray | None = None   # data bytes after STX, while a frame arrives
        self._frame_damage: str | None = None  # why the arriving frame is already bad
        self._expect_lrc = False               # ETX seen: the next byte is the LRC, by position
        self._outgoing: bytes | None = None    # our last frame, for Retransmit
        self._attempts = 0                     # how often that frame went out
        self._acked_raw: bytes | None = None   # the frame we acknowledged in this session
        self._last_frame_raw: bytes | None = None  # the last frame that arrived, good or bad

    # ---- incoming ----------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the line; read what they mean with `next_event()`."""
        if self.state is State.ERROR:
            raise RemoteProtocolError(self._in_error())
        if len(self._buffer) + len(data) > self._max_buffer:
            raise self._fail(
                f"more than {self._max_buffer} unread bytes: the peer floods the line or events are not read")
        self._buffer += data

    def next_event(self):
        """The next event, or NEED_DATA (read more), or PAUSED (it is our move)."""
        if self.state is State.ERROR:
            raise RemoteProtocolError(self._in_error())
        if self.state in OUR_TURN:
            return ev.PAUSED
        noise = bytearray()
        while self._buffer:
            byte = self._buffer[0]
            if self._frame is None and self._is_noise(byte):
                noise.append(byte)
                del self._buffer[0]
                continue
            if noise:
                return ev.LineNoise(bytes(noise), f"not expected in state {self.state.value}")
            del self._buffer[0]
            event = self._on_byte(byte)
            if event is not None:
                return event
        if noise:
            return ev.LineNoise(bytes(noise), f"not expected in state {self.state.value}")
        return ev.NEED_DATA

    def _is_noise(self, byte: int) -> bool:
        """Bytes that carry no meaning in the current state (outside a frame)."""
        if byte == STX:
            return (self.state, Arrival.FRAME) not in self._moves
        name = CONTROL_NAMES.get(byte)
        return name not in Arrival.__members__ or (self.state, Arrival[name]) not in self._moves

    def _on_byte(self, byte: int):
        if self._frame is not None:
            return self._on_frame_byte(byte)
        if byte == STX:
            self._frame, self._frame_damage, self._expect_lrc = bytearray(), None, False
            return None
        return self._arrive(Arrival[CONTROL_NAMES[byte]])

    def _on_frame_byte(self, byte: int):
        assert self._frame is not None
        if self._expect_lrc:
            return self._frame_complete(byte)
        if byte == ETX:
            self._expect_lrc = True
            return None
        if byte == STX:
            # The frame was cut short (cable pulled, sender restarted): drop what came.
            partial = bytes([STX]) + bytes(self._frame)
            self._frame = bytearray()
            self._frame_damage = None
            return ev.LineNoise(partial, "frame cut short by a new STX")
        if not 0x20 <= byte <= 0x7E and self._frame_damage is None:
            self._frame_damage = f"byte 0x{byte:02X} inside the data"
        self._frame.append(byte)
        if len(self._frame) > MAX_DATA_LENGTH:
            raw = bytes([STX]) + bytes(self._frame)
            self._frame = None
            return self._arrive(Arrival.BAD_FRAME, reason=f"no ETX within {MAX_DATA_LENGTH} characters",
                                raw=raw)
        return None

    def _frame_complete(self, received_lrc: int):
        data = bytes(self._frame or b"")
        self._frame, self._expect_lrc = None, False
        raw = bytes([STX]) + data + bytes([ETX, received_lrc])
        expected = lrc(data + bytes([ETX]))
        damage = self._frame_damage
        if damage is None and expected != received_lrc:
            damage = f"LRC 0x{received_lrc:02X}, expected 0x{expected:02X}"
        if damage is not None:
            return self._arrive(Arrival.BAD_FRAME, reason=damage, raw=raw)
        try:
            message = (PaymentAnswer.decode(data) if self.role is Role.CASH_REGISTER
                       else PaymentRequest.decode(data))
        except ProtocolError as exc:
            peer = "terminal" if self.role is Role.CASH_REGISTER else "cash register"
            raise self._fail(
                f"the {peer} sent an intact frame that is not a Concert V2 message ({exc}); "
                f"check that both sides are set to Concert V2") from None
        return self._arrive(Arrival.FRAME, message=message, raw=raw)

    def _arrive(self, arrival: Arrival, **fields):
        """Take the move `PEER_MOVES` gives for `arrival` in this state; its event."""
        event, target = self._moves[(self.state, arrival)]
        if event is ev.MessageRejected:
            event = ev.MessageRejected(self._attempts, self._attempts < MAX_FRAME_ATTEMPTS)
        elif event is ev.MessageReceived:
            duplicate = self.state is State.AWAIT_EOT and fields["raw"] == self._acked_raw
            event = ev.MessageReceived(fields["message"], fields["raw"], duplicate)
        elif event is ev.FrameCorrupt:
            event = ev.FrameCorrupt(fields["reason"], fields["raw"])
        elif isinstance(event, ev.MessageAccepted):
            self._outgoing = None
        if isinstance(event, ev.MessageReceived | ev.FrameCorrupt):
            self._last_frame_raw = event.raw
        self.state = target
        return event

    # ---- outgoing ----------------------------------------------------------------

    def send(self, command) -> bytes:
        """The bytes for `command`; LocalProtocolError if it is not legal now."""
        if self.state is State.ERROR:
            raise LocalProtocolError(f"cannot {type(command).__name__}: {self._in_error()}")
        kind = type(command)
        if kind is ev.EndSession and self.state is State.IDLE:
            return bytes([EOT])  # always safe: a peer with no session ignores it
        target = OUR_MOVES.get((self.state, kind))
        if target is None:
            raise LocalProtocolError(f"cannot {kind.__name__} in state {self.state.value}")
        if kind is ev.OpenSession:
            out = bytes([ENQ])
        elif kind is ev.AcceptSession:
            out = bytes([ACK])
            self._acked_raw = None
        elif kind is ev.RefuseSession:
            out = bytes([NAK])
        elif kind is ev.SendMessage:
            out = self._new_frame(command.message)
        elif kind is ev.Retransmit:
            if self._outgoing is None or self._attempts >= MAX_FRAME_ATTEMPTS:
                raise LocalProtocolError(
                    f"no retransmission left: the frame already went out {self._attempts} times")
            self._attempts += 1
            out = self._outgoing
        elif kind is ev.AcceptMessage:
            out = bytes([ACK])
        elif kind is ev.RejectMessage:
            out = bytes([NAK])
        else:  # EndSession
            out = bytes([EOT])
            self._outgoing, self._attempts, self._acked_raw = None, 0, None
        if kind is ev.AcceptMessage:
            self._acked_raw = self._last_frame_raw
        self.state = target
        return out

    def _new_frame(self, message) -> bytes:
        wanted = PaymentRequest if self.role is Role.CASH_REGISTER else PaymentAnswer
        if not isinstance(message, wanted):
            raise LocalProtocolError(f"a {self.role.value} sends {wanted.__name__}, not {type(message).__name__}")
        try:
            self._outgoing = frame(message.encode())
        except ProtocolError as exc:
            raise LocalProtocolError(f"cannot encode {type(message).__name__}: {exc}") from None
        self._attempts = 1
        return self._outgoing

    # ---- time ----------------------------------------------------------------------

    def timer(self) -> Timer | None:
        """The link timer that should run in this state (None: nothing to wait for here)."""
        return TIMERS.get(self.state)

    def expire(self) -> ev.TimedOut:
        """The caller's clock says `timer()` ran out: give up the wait, back to IDLE."""
        timer = self.timer()
        if timer is None:
            raise LocalProtocolError(f"no timer runs in state {self.state.value}")
        state = self.state
        # A half frame is dropped; bytes still unread stay and are read in IDLE, where
        # anything but a new ENQ is reported as noise.
        self._frame, self._expect_lrc, self._frame_damage = None, False, None
        self.state = State.IDLE
        return ev.TimedOut(timer.name, state.value)

    def reset(self) -> None:
        """Forget everything (after a protocol error or when the line was re-opened)."""
        self.__init__(self.role, self._max_buffer)  # type: ignore[misc]

    # ---- helpers -------------------------------------------------------------------

    @property
    def frame_in_progress(self) -> bool:
        return self._frame is not None

    def _in_error(self) -> str:
        return f"the connection is in ERROR ({self.error}); reset() it or start a fresh one"

    def _fail(self, reason: str) -> RemoteProtocolError:
        """The peer broke the protocol: into ERROR, and the error to raise."""
        self.state = State.ERROR
        self.error = reason
        self._buffer.clear()
        self._frame = None
        return RemoteProtocolError(reason)
