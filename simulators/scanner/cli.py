"""`counterpay sim scanner`: a QR scanner in serial (USB-CDC) mode, on a pty or a real port.

    counterpay sim scanner --pty --payload 'PAGOPA|002|001340000013900808|00311260095|5000'
    counterpay sim scanner --serial /dev/ttyUSB1 --file order.txt --terminator CRLF
    counterpay sim scanner --pty --payload RF18539007547034 --repeat 10 --interval 0.5

Like a real scanner it sends each code's bytes followed by the terminator, once per
"scan"; nobody listening means the scan is lost, as with a real one.  The first
stdout line says where to connect (`device: /dev/pts/N`), then one `sent: N bytes`
line per scan; --file sends the file's bytes as they are (EPC codes keep their line
breaks).  --delay waits before the first scan so a reader has time to open the port.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import tty

import click

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t", "NONE": b""}


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


class PtyPort:
    """The scanner end of a pseudo-terminal; the reader opens `device`."""

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        # Raw mode on the reader's side: no CR->LF translation, no echo back to us.
        tty.setraw(self._slave)
        self.device = os.ttyname(self._slave)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def drain_echo(self) -> None:
        """Discard anything the reader writes (scanners ignore host input)."""
        import select
        while select.select([self.master], [], [], 0)[0]:
            try:
                if not os.read(self.master, 4096):
                    return
            except OSError:
                return

    def close(self) -> None:
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class SerialPort:
    def __init__(self, device: str, baud: int) -> None:
        import serial
        try:
            self._serial = serial.Serial(device, baudrate=baud, timeout=0.1)
        except (OSError, serial.SerialException) as exc:
            raise click.UsageError(f"--serial {device}: cannot open it ({exc})") from None
        self.device = device

    def write(self, data: bytes) -> None:
        self._serial.write(data)
        self._serial.flush()

    def drain_echo(self) -> None:
        self._serial.reset_input_buffer()

    def close(self) -> None:
        self._serial.close()


@click.command("scanner")
@click.option("--pty", "use_pty", is_flag=True, help="Create a pseudo-terminal and print its path.")
@click.option("--serial", "serial_device", metavar="DEV", help="Send on a real serial device (null-modem).")
@click.option("--payload", metavar="P", help="The code's text (UTF-8).")
@click.option("--file", "payload_file", type=click.Path(dir_okay=False), metavar="F",
              help="Send this file's bytes as the code (binary, as they are).")
@click.option("--terminator", type=click.Choice(list(TERMINATORS), case_sensitive=False),
              default="CR", show_default=True, help="What the scanner sends after each code.")
@click.option("--repeat", type=click.IntRange(min=0), default=1, show_default=True,
              help="How many scans (0: until stopped).")
@click.option("--interval", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between scans.")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds before the first scan (time for the reader to open the port).")
@click.option("--baud", type=int, default=9600, show_default=True, help="With --serial: baud rate.")
@click.option("--linger", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Seconds to keep the port open after the last scan (a pty vanishes when closed).")
def scanner(use_pty, serial_device, payload, payload_file, terminator, repeat, interval, delay,
            baud, linger) -> None:
    """Simulate a QR scanner in serial mode that scans PAYLOAD (or FILE)."""
    if bool(use_pty) == bool(serial_device):
        raise click.UsageError("give exactly one of --pty, --serial DEV")
    if (payload is None) == (payload_file is None):
        raise click.UsageError("give exactly one of --payload P, --file F")
    if payload_file is not None:
        try:
            with open(payload_file, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise click.UsageError(f"--file {payload_file}: {exc.strerror}") from None
    else:
        data = payload.encode("utf-8")
    if not data:
        raise click.UsageError("the code is empty: a scanner never sends an empty code")
    frame = data + TERMINATORS[terminator.upper()]
    port = PtyPort() if use_pty else SerialPort(serial_device, baud)
    signal.signal(signal.SIGTERM, _stop)
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except AttributeError:
        pass
    click.echo(f"device: {port.device}")
    sent = 0
    try:
        time.sleep(delay)
        while repeat == 0 or sent < repeat:
            if sent:
                time.sleep(interval)
            port.drain_echo()
            port.write(frame)
            sent += 1
            click.echo(f"sent: {len(frame)} bytes (scan {sent})")
        time.sleep(linger)
    except KeyboardInterrupt:
        pass
    finally:
        port.close()
