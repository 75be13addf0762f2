"""ZVT transport layers: the serial frame with CRC and ACK/NAK, and bare APDUs over TCP.

Serial (PA00P016 ch. 2): DLE STX <APDU, each DLE doubled> DLE ETX CRC-lo CRC-hi, the
CRC-16/KERMIT taken over the APDU (before doubling) and ETX; the CRC bytes are sent as
they are.  The receiver answers each frame with one byte: ACK (06) when the CRC is
right, NAK (15) when not; the sender repeats a NAKed frame at most
`MAX_RETRANSMISSIONS` times and then gives up.  One frame is in flight at a time;
frames sent meanwhile wait in a queue.

TCP (PA00P016 ch. 4): the APDUs back to back, no frame, no CRC, no ACK/NAK; the reader
must reassemble APDUs from arbitrarily split segments.

Both framers are sans-I/O: `receive_data(bytes, events)` appends what the bytes carry
to `events` (when it raises `ProtocolError`, what came before the bad bytes is already
there), `queue(apdu)` takes an APDU to send, `data_to_send()` hands over the bytes to
write (including the ACK/NAK answers to what was received).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from protocol.terminal.errors import ProtocolError
from protocol.terminal.zvt.encoding import crc16_kermit
from protocol.terminal.zvt.messages import MAX_APDU_DATA, apdu_length

DLE, STX, ETX, ACK, NAK = 0x10, 0x02, 0x03, 0x06, 0x15
MAX_RETRANSMISSIONS = 3  # PA00P016 ch. 2.3: a frame is repeated at most three times
MAX_FRAME_CONTENT = MAX_APDU_DATA + 5  # CLASS INSTR FF lo hi + data, before DLE doubling
MAX_NOISE_BYTES = 4096  # bytes outside any frame we drop before calling the line hostile


@dataclass(frozen=True)
class ApduReceived:
    apdu: bytes


@dataclass(frozen=True)
class Delivered:
    """The peer acknowledged our frame (serial ACK)."""


@dataclass(frozen=True)
class FrameRejected:
    """The peer NAKed our frame; it has been queued again (attempt = 1..3)."""
    attempt: int


@dataclass(frozen=True)
class DeliveryFailed:
    """The peer NAKed our frame more than MAX_RETRANSMISSIONS times; it never got it."""
    apdu: bytes


@dataclass(frozen=True)
class CorruptFrame:
    """A frame arrived garbled (CRC, framing); we answered NAK."""
    reason: str


def frame_apdu(apdu: bytes, *, corrupt_crc: bool = False) -> bytes:
    """The serial frame of one APDU (corrupt_crc: for simulators testing our NAK path)."""
    crc = crc16_kermit(apdu + bytes([ETX]))
    if corrupt_crc:
        crc ^= 0x5A5A
    return (bytes([DLE, STX]) + apdu.replace(b"\x10", b"\x10\x10")
            + bytes([DLE, ETX, crc & 0xFF, crc >> 8]))


class SerialFramer:
    transport = "serial"

    def __init__(self) -> None:
        self._out = bytearray()
        self._queue: deque[bytes] = deque()
        self._in_flight: bytes | None = None
        self._attempts = 0
        self._state = "hunt"      # hunt | dle_seen | frame | frame_dle | crc1 | crc2
        self._frame = bytearray()
        self._crc = bytearray()
        self._noise = 0
        # Fault injection for the terminal simulator's bad_checksum scenario: the next
        # this-many frames we transmit carry a wrong CRC.  Never set by the driver.
        self.corrupt_crc_times = 0

    # -- sending -------------------------------------------------------------------------

    @property
    def awaiting_ack(self) -> bool:
        return self._in_flight is not None

    def queue(self, apdu: bytes) -> None:
        self._queue.append(apdu)
        self._pump()

    def _pump(self) -> None:
        if self._in_flight is None and self._queue:
            self._in_flight = self._queue.popleft()
            self._attempts = 0
            self._transmit()

    def _transmit(self) -> None:
        corrupt = self.corrupt_crc_times > 0
        if corrupt:
            self.corrupt_crc_times -= 1
        self._out += frame_apdu(self._in_flight, corrupt_crc=corrupt)

    def retransmit(self) -> bool:
        """The ACK did not come in time: send the frame again if attempts remain."""
        if self._in_flight is None or self._attempts >= MAX_RETRANSMISSIONS:
            return False
        self._attempts += 1
        self._transmit()
        return True

    def data_to_send(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        return out

    def reset(self) -> None:
        """Forget everything in flight and half-received (after a timeout or a pulled cable)."""
        self.__init__()

    # -- receiving -----------------------------------------------------------------------

    def receive_data(self, data: bytes, events: list) -> None:
        for byte in data:
            self._byte(byte, events)

    def _link_answer(self, byte: int, events: list) -> bool:
        if self._in_flight is None:
            return False
        if byte == ACK:
            self._in_flight = None
            events.append(Delivered())
            self._pump()
            return True
        if byte == NAK:
            if self._attempts >= MAX_RETRANSMISSIONS:
                events.append(DeliveryFailed(self._in_flight))
                self._in_flight = None
                self._queue.clear()  # what followed made no sense without it
            else:
                self._attempts += 1
                events.append(FrameRejected(self._attempts))
                self._transmit()
            return True
        return False

    def _corrupt(self, reason: str, events: list) -> None:
        self._out.append(NAK)
        events.append(CorruptFrame(reason))
        self._state, self._frame, self._crc = "hunt", bytearray(), bytearray()

    def _byte(self, byte: int, events: list) -> None:
        state = self._state
        if state == "hunt":
            if byte == DLE:
                self._state = "dle_seen"
            elif not self._link_answer(byte, events):
                self._noise += 1
                if self._noise > MAX_NOISE_BYTES:
                    self._noise = 0
                    raise ProtocolError(f"more than {MAX_NOISE_BYTES} bytes of line noise "
                                           "outside any frame")
        elif state == "dle_seen":
            if byte == STX:
                self._state, self._frame, self._noise = "frame", bytearray(), 0
            elif byte == ACK and self._link_answer(ACK, events):
                self._state = "hunt"  # DLE ACK: some terminals prefix the ACK with DLE
            else:
                self._state = "hunt"
        elif state == "frame":
            if byte == DLE:
                self._state = "frame_dle"
            else:
                self._frame.append(byte)
        elif state == "frame_dle":
            if byte == DLE:
                self._frame.append(DLE)
                self._state = "frame"
            elif byte == ETX:
                self._state, self._crc = "crc1", bytearray()
            elif byte == STX:
                self._out.append(NAK)  # a new frame began inside this one: resync on it
                events.append(CorruptFrame("frame restarted before its end"))
                self._frame, self._state = bytearray(), "frame"
            else:
                self._corrupt(f"DLE followed by {byte:02x} inside a frame", events)
                return
        elif state in ("crc1", "crc2"):
            self._crc.append(byte)
            if state == "crc1":
                self._state = "crc2"
                return
            expected = crc16_kermit(bytes(self._frame) + bytes([ETX]))
            received = self._crc[0] | self._crc[1] << 8
            if expected != received:
                self._corrupt(f"CRC {received:04x}, expected {expected:04x}", events)
                return
            apdu = bytes(self._frame)
            self._state, self._frame = "hunt", bytearray()
            self._out.append(ACK)
            events.append(ApduReceived(apdu))
            return
        if len(self._frame) > MAX_FRAME_CONTENT:
            self._corrupt(f"frame longer than {MAX_FRAME_CONTENT} bytes", events)


class TcpFramer:
    transport = "tcp"
    awaiting_ack = False

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._out = bytearray()

    def queue(self, apdu: bytes) -> None:
        self._out += apdu

    def retransmit(self) -> bool:
        return False  # TCP delivers or breaks; there is no frame-level repetition

    def data_to_send(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        return out

    def reset(self) -> None:
        self.__init__()

    def receive_data(self, data: bytes, events: list) -> None:
        self._buffer += data
        while True:
            try:
                total = apdu_length(self._buffer)
            except ProtocolError:
                self._buffer.clear()
                raise
            if total is None or len(self._buffer) < total:
                break
            events.append(ApduReceived(bytes(self._buffer[:total])))
            del self._buffer[:total]

    @property
    def partial(self) -> bool:
        """Part of an APDU is buffered (a split TCP read waiting for the rest)."""
        return bool(self._buffer)


def framer_for(transport: str):
    if transport == "serial":
        return SerialFramer()
    if transport == "tcp":
        return TcpFramer()
    raise ValueError(f"unknown ZVT transport {transport!r}: 'serial' or 'tcp'")
