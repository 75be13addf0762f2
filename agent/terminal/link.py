"""The byte link a terminal driver talks over: a serial port (RS-232, USB-CDC, a pty) or TCP.

Drivers never touch pyserial or sockets themselves; they get a `Link` from
`open_link(device, line)`:

    link = open_link("/dev/ttyUSB0", ZVT_LINE)
    link = open_link("tcp://192.168.1.40:20007", ZVT_LINE)   # line settings unused on TCP

`read(max_bytes, timeout_s)` returns whatever arrived (at least one byte) or b'' when
nothing came within the timeout.  A link that is gone for good (socket closed by the
peer, serial device unplugged) raises `LinkClosed`, which the drivers treat like a
pulled cable: the outcome of a request in flight is unknown and must be recovered.
"""

from __future__ import annotations

import os
import select
import socket
import time
from dataclasses import dataclass
from typing import Protocol

import serial

from agent.terminal.base import TerminalError


class LinkClosed(TerminalError):
    """The other end is gone (socket closed, serial device removed)."""


@dataclass(frozen=True)
class LineSettings:
    """Serial line parameters; ignored on TCP links."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"      # 'N', 'E' or 'O'
    stopbits: int = 1

    @property
    def bits_per_byte(self) -> int:
        """Bits on the wire per byte: start bit + data + parity + stop bits."""
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits

    def seconds_for(self, n_bytes: int) -> float:
        """The line-rate floor: how long n_bytes take on this line at best."""
        return n_bytes * self.bits_per_byte / self.baudrate

    def __str__(self) -> str:
        return f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"


# PA00P015 ch. 2.1: ZVT serial line is 9600 baud, 8 data bits, no parity, 2 stop bits.
ZVT_LINE = LineSettings(9600, 8, "N", 2)
# Concert V2: 8N1 on USB-CDC terminals, 7E1 on classic RS-232 ones.
CONCERT_USB_LINE = LineSettings(9600, 8, "N", 1)
CONCERT_RS232_LINE = LineSettings(9600, 7, "E", 1)

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}
_BYTESIZE = {7: serial.SEVENBITS, 8: serial.EIGHTBITS}
_STOPBITS = {1: serial.STOPBITS_ONE, 2: serial.STOPBITS_TWO}


def parse_line(text: str) -> LineSettings:
    """'9600 8N2' or '19200,7E1' → LineSettings; raises ValueError saying what is wrong."""
    parts = text.replace(",", " ").split()
    if len(parts) != 2 or len(parts[1]) != 3:
        raise ValueError(f"line settings {text!r}: expected e.g. '9600 8N2'")
    baud, frame = parts
    try:
        settings = LineSettings(int(baud), int(frame[0]), frame[1].upper(), int(frame[2]))
    except ValueError:
        raise ValueError(f"line settings {text!r}: expected e.g. '9600 8N2'") from None
    if settings.bytesize not in _BYTESIZE or settings.parity not in _PARITY \
            or settings.stopbits not in _STOPBITS:
        raise ValueError(f"line settings {text!r}: data bits 7/8, parity N/E/O, stop bits 1/2")
    return settings


class Link(Protocol):
    description: str
    transport: str          # "serial" (framed: ZVT DLE STX…, Concert STX…LRC) or "tcp" (bare APDUs)

    def write(self, data: bytes) -> None: ...

    def read(self, max_bytes: int, timeout_s: float) -> bytes: ...

    def close(self) -> None: ...


class SerialLink:
    """A serial device: real port, USB-CDC or the slave side of a pty.

    After a failure (USB cable pulled, device gone) the next write reopens the device,
    so a driver can ask the terminal what happened once the cable is back.
    """

    def __init__(self, path: str, line: LineSettings):
        self.description = f"{path} ({line})"
        self.transport = "serial"
        self.path, self.line = path, line
        self._port: serial.Serial | None = None
        self._open()

    def _open(self) -> None:
        line = self.line
        try:
            self._port = serial.Serial(
                self.path, baudrate=line.baudrate, bytesize=_BYTESIZE[line.bytesize],
                parity=_PARITY[line.parity], stopbits=_STOPBITS[line.stopbits],
                timeout=0, write_timeout=10, rtscts=False, xonxoff=False)
        except (serial.SerialException, OSError) as exc:
            raise TerminalError(f"cannot open serial device {self.path}: {exc}") from exc

    def _lost(self, what: str, exc: Exception) -> LinkClosed:
        self.close()
        return LinkClosed(f"{self.description}: {what} failed: {exc}")

    def write(self, data: bytes) -> None:
        if self._port is None:
            self._open()
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise self._lost("write", exc) from exc

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        if self._port is None:
            time.sleep(max(0.0, timeout_s))
            return b""
        # select + os.read on the port's descriptor rather than pyserial's read: on a pty
        # pyserial raises "readiness to read but returned no data" when a read races the
        # writer, which is not a pulled cable.  A vanished device still fails with EIO.
        try:
            fd = self._port.fileno()
            ready, _, _ = select.select([fd], [], [], max(0.0, timeout_s))
            if not ready:
                return b""
            return os.read(fd, max_bytes)
        except BlockingIOError:
            return b""
        except (serial.SerialException, OSError, ValueError) as exc:
            raise self._lost("read", exc) from exc

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except (serial.SerialException, OSError):
                pass
            self._port = None


class TcpLink:
    """A TCP connection to a terminal (ZVT over IP, usually port 20007).

    When the terminal closes the connection (or it breaks), the next write connects
    again: recovery after a lost answer needs a fresh connection to ask on.
    """

    def __init__(self, host: str, port: int, connect_timeout_s: float = 5.0):
        self.description = f"tcp://{host}:{port}"
        self.transport = "tcp"
        self.host, self.port, self.connect_timeout_s = host, port, connect_timeout_s
        self._sock: socket.socket | None = None
        self._connect()

    def _connect(self) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port),
                                                  timeout=self.connect_timeout_s)
        except OSError as exc:
            raise TerminalError(f"cannot connect to {self.description}: {exc}") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        if self._sock is None:
            self._connect()
        try:
            self._sock.sendall(data)
        except OSError as exc:
            self.close()
            raise LinkClosed(f"{self.description}: send failed: {exc}") from exc

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        if self._sock is None:
            time.sleep(max(0.0, timeout_s))
            return b""
        self._sock.settimeout(max(0.001, timeout_s))
        try:
            data = self._sock.recv(max_bytes)
        except (socket.timeout, TimeoutError):
            return b""
        except OSError as exc:
            self.close()
            raise LinkClosed(f"{self.description}: receive failed: {exc}") from exc
        if not data:
            self.close()
            raise LinkClosed(f"{self.description}: the terminal closed the connection")
        return data

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None


def parse_tcp(device: str) -> tuple[str, int] | None:
    """'tcp://HOST:PORT' → (host, port); None when the device is not a TCP address."""
    if not device.startswith("tcp://"):
        return None
    host, sep, port = device[len("tcp://"):].rpartition(":")
    if not sep or not host or not port.isdigit():
        raise TerminalError(f"device {device!r}: expected tcp://HOST:PORT")
    return host.strip("[]"), int(port)


def open_link(device: str, line: LineSettings) -> Link:
    """Open a serial path or `tcp://HOST:PORT`; raises TerminalError saying why not."""
    tcp = parse_tcp(device)
    if tcp is not None:
        return TcpLink(*tcp)
    return SerialLink(device, line)


def drain(link: Link, quiet_s: float = 0.05, limit_s: float = 1.0) -> bytes:
    """Read and return what is still arriving until the line is quiet (stale bytes)."""
    got = bytearray()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        chunk = link.read(4096, quiet_s)
        if not chunk:
            break
        got += chunk
    return bytes(got)
