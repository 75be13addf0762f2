"""`counterpay sim scanner`: a QR scanner in serial (USB-CDC) mode, on a pty or a real port.

    counterpay sim scanner --pty --payload 'PAGOPA|002|001340000013900808|00311260095|5000'
    counterpay sim scanner --serial /dev/ttyUSB1 --file order.txt --terminator CRLF
    counterpay sim scanner --pty --payload RF18539007547034 --repeat 10 --interval 0.5
    counterpay sim scanner --pty --link /tmp/scanner --from /tmp/scanner.in   # then: echo CODE > /tmp/scanner.in

Like a real scanner it sends each code's bytes followed by the terminator, once per
"scan"; nobody listening means the scan is lost, as with a real one.  The first
stdout line says where to connect (`device: /dev/pts/N`), then one `sent: N bytes`
line per scan; --file sends the file's bytes as they are (EPC codes keep their line
breaks).  --delay waits before the first scan so a reader has time to open the port.
--from PIPE keeps the scanner on until stopped and scans every line written to PIPE
(a named pipe, made if missing; "\\n" in a line stands for a line break, for EPC codes):
that is how `counterpay demo` lets a person "scan" from another shell.
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

    def __init__(self, link: str | None = None) -> None:
        self.master, self._slave = os.openpty()
        # Raw mode on the reader's side: no CR->LF translation, no echo back to us.
        tty.setraw(self._slave)
        self.device = os.ttyname(self._slave)
        self.link = link
        if link:   # a stable name for a reader's configuration; the pty number changes every run
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(self.device, link)

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
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self.device:
            os.unlink(self.link)
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
@click.option("--trigger", is_flag=True,
              help="Scan once per line read from stdin (the trigger) instead of --repeat/--interval/--delay.")
@click.option("--linger", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Seconds to keep the port open after the last scan (a pty vanishes when closed).")
@click.option("--link", "symlink", metavar="PATH", help="With --pty: a stable symlink to the pty.")
@click.option("--from", "from_pipe", metavar="PIPE",
              help="Stay on and scan every line written to this named pipe (made if missing).")
def scanner(use_pty, serial_device, payload, payload_file, terminator, repeat, interval, delay,
            baud, trigger, linger, symlink, from_pipe) -> None:
    """Simulate a QR scanner in serial mode that scans PAYLOAD (or FILE, or lines from a pipe)."""
    if bool(use_pty) == bool(serial_device):
        raise click.UsageError("give exactly one of --pty, --serial DEV")
    if symlink and not use_pty:
        raise click.UsageError("--link goes with --pty")
    if from_pipe is not None:
        if payload is not None or payload_file is not None:
            raise click.UsageError("--from PIPE takes the codes from the pipe: leave out --payload and --file")
        _scan_from_pipe(PtyPort(symlink) if use_pty else SerialPort(serial_device, baud), from_pipe,
                        TERMINATORS[terminator.upper()])
        return
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
    port = PtyPort(symlink) if use_pty else SerialPort(serial_device, baud)
    signal.signal(signal.SIGTERM, _stop)
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except AttributeError:
        pass
    click.echo(f"device: {port.device}")
    sent = 0
    try:
        if trigger:
            for _ in sys.stdin:
                port.drain_echo()
                port.write(frame)
                sent += 1
                click.echo(f"sent: {len(frame)} bytes (scan {sent})")
            return
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


def _scan_from_pipe(port, pipe_path: str, terminator: bytes) -> None:
    """Every line written to the named pipe is one scan, until SIGTERM / Ctrl-C."""
    import stat
    try:
        if not os.path.exists(pipe_path):
            os.mkfifo(pipe_path, 0o600)
        elif not stat.S_ISFIFO(os.stat(pipe_path).st_mode):
            raise click.UsageError(f"--from {pipe_path}: exists and is not a named pipe")
        # Opened read-write so the pipe never reports end-of-file when a writer closes it.
        fd = os.open(pipe_path, os.O_RDWR)
    except OSError as exc:
        port.close()
        raise click.UsageError(f"--from {pipe_path}: {exc.strerror}") from None
    signal.signal(signal.SIGTERM, _stop)
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except AttributeError:
        pass
    click.echo(f"device: {port.device}")
    click.echo(f"scan with: echo 'CODE' > {pipe_path}")
    sent, pending = 0, b""
    try:
        while True:
            chunk = os.read(fd, 65536)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                code = line.rstrip(b"\r").replace(b"\\n", b"\n")
                if not code:
                    continue
                port.drain_echo()
                port.write(code + terminator)
                sent += 1
                click.echo(f"sent: {len(code) + len(terminator)} bytes (scan {sent})")
    except KeyboardInterrupt:
        pass
    finally:
        os.close(fd)
        port.close()
