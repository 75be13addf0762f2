"""Cut the byte stream of a serial scanner into scanned codes, without any I/O.

A serial (or USB-CDC) scanner sends each code followed by a terminator, usually CR.
The framer is fed whatever bytes a read returned and hands back `ScanEvent`s: a code,
or an error a person can read (not UTF-8, control characters, too long).  Garbage on
the port never raises; the framer resynchronises at the next terminator.

EPC ("BCD") codes hold line breaks, so a scanner configured with an LF terminator
would cut them into pieces: CR is the safe default, and `NONE` frames by the idle
gap a scanner leaves between codes (the reader supplies the clock).
"""

from __future__ import annotations

from dataclasses import dataclass

# A QR code holds at most 2953 bytes in byte mode; allow a little slack before we
# call the input garbage, so a runaway stream cannot grow the buffer without bound.
MAX_CODE_BYTES = 4096

TERMINATORS: dict[str, bytes | None] = {
    "CR": b"\r",
    "LF": b"\n",
    "CRLF": b"\r\n",
    "TAB": b"\t",
    "NONE": None,   # frame by idle gap (see ScanFramer.flush)
}


@dataclass(frozen=True)
class ScanEvent:
    """One thing that came off the scanner: a code, or a readable error."""
    code: str | None = None
    error: str | None = None
    raw: bytes = b""

    @property
    def ok(self) -> bool:
        return self.code is not None


def terminator_bytes(name: str) -> bytes | None:
    """The bytes for a terminator name (CR, LF, CRLF, TAB, NONE); a clear error otherwise."""
    key = name.strip().upper()
    if key not in TERMINATORS:
        raise ValueError(f"scanner terminator {name!r}: expected one of {', '.join(TERMINATORS)}")
    return TERMINATORS[key]


class ScanFramer:
    """Feed bytes, get scanned codes.  One framer per port."""

    def __init__(self, terminator: str = "CR") -> None:
        self.terminator_name = terminator.strip().upper()
        self.terminator = terminator_bytes(terminator)
        self._buffer = bytearray()
        self._overflowed = False

    def feed(self, data: bytes) -> list[ScanEvent]:
        events: list[ScanEvent] = []
        self._buffer.extend(data)
        if self.terminator is None:
            self._check_overflow(events)
            return events
        while True:
            index = self._buffer.find(self.terminator)
            if index < 0:
                break
            frame = bytes(self._buffer[:index])
            del self._buffer[: index + len(self.terminator)]
            if self._overflowed:
                # The tail of an over-long frame: already reported, drop it.
                self._overflowed = False
                continue
            event = self._decode(frame)
            if event is not None:
                events.append(event)
        self._check_overflow(events)
        return events

    def flush(self) -> list[ScanEvent]:
        """The scanner went quiet: with terminator NONE, what was buffered is one code."""
        if self.terminator is not None or not self._buffer:
            return []
        frame = bytes(self._buffer)
        self._buffer.clear()
        overflowed, self._overflowed = self._overflowed, False
        if overflowed:
            return []
        event = self._decode(frame)
        return [event] if event is not None else []

    def _check_overflow(self, events: list[ScanEvent]) -> None:
        if len(self._buffer) > MAX_CODE_BYTES:
            events.append(ScanEvent(error=(
                f"more than {MAX_CODE_BYTES} bytes without a {self.terminator_name} terminator: "
                "this is not a scanned code; check the scanner's terminator setting "
                "(it must match the agent's) and its baud rate"),
                raw=bytes(self._buffer[:64])))
            self._buffer.clear()
            self._overflowed = self.terminator is not None

    def _decode(self, frame: bytes) -> ScanEvent | None:
        # With CR as terminator a scanner set to CRLF leaves a stray LF at the start
        # of the next frame (and the other way round): not part of the code.
        frame = frame.strip(b"\r\n") if self.terminator in (b"\r", b"\n") else frame
        if not frame:
            return None
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError as exc:
            return ScanEvent(error=(
                f"the scanner sent bytes that are not UTF-8 (byte 0x{frame[exc.start]:02x} at "
                f"position {exc.start}): wrong baud rate or parity, or the scanner's character "
                "set is not UTF-8"), raw=frame[:64])
        bad = [ch for ch in text if ord(ch) < 0x20 and ch not in "\n\r\t" or ch == "\x7f"]
        if bad:
            return ScanEvent(error=(
                f"the scanner sent control character 0x{ord(bad[0]):02x}: line noise or a "
                "wrong baud rate; check the cable and the port settings"), raw=frame[:64])
        return ScanEvent(code=text, raw=frame)
