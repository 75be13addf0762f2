"""Read a serial (RS-232 or USB-CDC) QR scanner on a background thread.

`SerialScanner(port, terminator="CR").start(on_event)` opens the port with pyserial
and calls `on_event(ScanEvent)` from its own thread for every code or error.  An
unplugged scanner is reported once and the port is reopened every second until it
is back, so the agent keeps running and the operator sees why nothing scans.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import serial

from agent.scanner.framing import ScanEvent, ScanFramer

# Scanners send a whole code in one burst; 80 ms of silence ends a code when the
# scanner has no terminator configured (9600 baud moves ~1 byte per ms).
IDLE_GAP_S = 0.08
REOPEN_EVERY_S = 1.0


class SerialScanner:
    """One scanner on one port; events go to a callback from the reader thread."""

    def __init__(self, port: str, *, baudrate: int = 9600, terminator: str = "CR",
                 idle_gap_s: float = IDLE_GAP_S) -> None:
        self.port = port
        self.baudrate = baudrate
        self.framer = ScanFramer(terminator)
        self.idle_gap_s = idle_gap_s
        self.connected = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial: serial.Serial | None = None

    @property
    def description(self) -> str:
        return f"{self.port} {self.baudrate} baud, terminator {self.framer.terminator_name}"

    def start(self, on_event: Callable[[ScanEvent], None]) -> "SerialScanner":
        self._thread = threading.Thread(target=self._run, args=(on_event,),
                                        name=f"scanner {self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close()

    def _open(self) -> serial.Serial:
        return serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=0.05)

    def _close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (OSError, serial.SerialException):
                pass
            self._serial = None
        self.connected = False

    def _run(self, on_event: Callable[[ScanEvent], None]) -> None:
        reported_down = False
        last_data = time.monotonic()
        while not self._stop.is_set():
            if self._serial is None:
                try:
                    self._serial = self._open()
                    self.connected = True
                    reported_down = False
                except (OSError, serial.SerialException) as exc:
                    if not reported_down:
                        on_event(ScanEvent(error=f"scanner port {self.port} cannot be opened: {exc}; "
                                                 "is the scanner plugged in and in serial (USB-CDC) mode?"))
                        reported_down = True
                    self._stop.wait(REOPEN_EVERY_S)
                    continue
            try:
                data = self._serial.read(4096)
            except (OSError, serial.SerialException) as exc:
                on_event(ScanEvent(error=f"scanner on {self.port} went away ({exc}); "
                                         "waiting for it to come back"))
                reported_down = True
                self._close()
                continue
            if data:
                for event in self.framer.feed(data):
                    on_event(event)
                last_data = time.monotonic()
            elif self.framer.terminator is None and time.monotonic() - last_data >= self.idle_gap_s:
                for event in self.framer.flush():
                    on_event(event)
