"""The simulated terminal's end of the line: a pty master, a real serial port, or a TCP client.

Same face as the agent's links (`write`, `read(max_bytes, timeout_s)`, `close`,
`transport`), kept separate because simulators never import the agent.  `read` returns
b'' on timeout and raises `SimLinkClosed` when the other end is gone for good (the TCP
client hung up); a pty never closes, a cash register may reconnect at any time.

`write_paced` is how scenarios misbehave on the wire: slow lines, TCP answers split
into pieces, and `emulate_baud` makes a pty (which moves bytes instantly) as slow as a
real line at the given baud rate, so benchmarks over a pty mean something.
"""

from __future__ import annotations

import os
import select
import socket
import termios
import time
import tty

import serial


class SimLinkClosed(Exception):
    """The cash register's end is gone (TCP connection closed, device removed)."""


class _Paced:
    """Optional line-rate emulation shared by all sim links."""

    bytes_per_second: float | None = None   # None: as fast as the medium goes

    def write(self, data: bytes) -> None:
        if not self.bytes_per_second:
            self._write(data)
            return
        write_paced(self, data, bytes_per_second=self.bytes_per_second)

    def _write(self, data: bytes) -> None:
        raise NotImplementedError


class PtyLink(_Paced):
    """The master side of a pseudo-terminal; the cash register opens the slave path."""

    transport = "serial"

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        # Raw mode on the slave so the line discipline never eats or rewrites a byte
        # (no echo, no CR/LF mapping, no ^C): the pty must behave like a plain wire.
        tty.setraw(self._slave, termios.TCSANOW)
        # We keep the slave open ourselves so the pty survives the cash register
        # closing and re-opening it (otherwise reading the master fails with EIO).
        self.device = os.ttyname(self._slave)
        self.description = f"pty {self.device}"

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self.master], [], 1.0)
            if ready:
                view = view[os.write(self.master, view):]

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout_s))
        if not ready:
            return b""
        try:
            return os.read(self.master, max_bytes)
        except OSError:
            return b""

    def close(self) -> None:
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class SerialSimLink(_Paced):
    """A real serial device (null-modem cable to the cash register)."""

    transport = "serial"

    def __init__(self, path: str, baudrate: int, bytesize: int, parity: str, stopbits: int):
        self.description = f"{path} ({baudrate} {bytesize}{parity}{stopbits})"
        self._port = serial.Serial(path, baudrate=baudrate, bytesize=bytesize, parity=parity,
                                   stopbits=stopbits, timeout=0)

    def _write(self, data: bytes) -> None:
        self._port.write(data)
        self._port.flush()

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        try:
            self._port.timeout = max(0.0, timeout_s)
            first = self._port.read(1)
            if not first:
                return b""
            waiting = min(self._port.in_waiting, max_bytes - 1)
            return first + (self._port.read(waiting) if waiting > 0 else b"")
        except (serial.SerialException, OSError) as exc:
            raise SimLinkClosed(f"{self.description}: {exc}") from exc

    def close(self) -> None:
        self._port.close()


class TcpConnLink(_Paced):
    """One accepted TCP connection from a cash register."""

    transport = "tcp"

    def __init__(self, conn: socket.socket, peer: str):
        self._sock = conn
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.description = f"tcp client {peer}"

    def _write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise SimLinkClosed(f"{self.description}: {exc}") from exc

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        self._sock.settimeout(max(0.001, timeout_s))
        try:
            data = self._sock.recv(max_bytes)
        except (socket.timeout, TimeoutError):
            return b""
        except OSError as exc:
            raise SimLinkClosed(f"{self.description}: {exc}") from exc
        if not data:
            raise SimLinkClosed(f"{self.description}: the cash register hung up")
        return data

    def hang_up(self) -> None:
        """Close mid-conversation: the TCP version of a pulled cable."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close()

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


def write_paced(link, data: bytes, *, bytes_per_second: float | None = None,
                chunk_bytes: int | None = None, gap_s: float = 0.0) -> None:
    """Write in pieces: at most `bytes_per_second`, or `chunk_bytes` pieces `gap_s` apart."""
    raw = getattr(link, "_write", link.write)
    if bytes_per_second:
        # Pace against the clock, not per sleep, so sleep overshoot does not accumulate.
        # A byte reaches the other end only once it is fully on the wire, so each piece
        # is handed over at the time its last byte would have arrived.
        start = time.monotonic()
        step = max(1, int(bytes_per_second // 100))  # ~10 ms worth of bytes per write
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            delay = start + (i + len(piece)) / bytes_per_second - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            raw(piece)
        return
    if chunk_bytes:
        for i in range(0, len(data), chunk_bytes):
            if i:
                time.sleep(gap_s)
            raw(data[i:i + chunk_bytes])
        return
    raw(data)
