"""Start `counterpay sim scanner` as a real subprocess and learn its device path."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from contextlib import contextmanager

from tests.support.waiting import wait_until, wait_until_async

PORT_SETTLE_S = 0.1     # pyserial flushes the input buffer right after opening: a scan sent before is lost


@contextmanager
def sim_scanner(*args: str):
    """Yield (process, device) for a sim scanner on a fresh pty; stop it afterwards."""
    proc = subprocess.Popen([sys.executable, "-m", "counterpay.cli", "sim", "scanner", "--pty", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("device: "), f"sim scanner said {first!r}, stderr: {proc.stderr.read()}"
        yield proc, first.split(" ", 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                stream.close()
            except OSError:
                pass


def pull_trigger(proc) -> None:
    """With --trigger: scan once now, and wait until the scanner has sent it."""
    proc.stdin.write("\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    assert line.startswith("sent: "), f"sim scanner said {line!r}"


async def wait_connected(scanner, timeout_s: float = 10.0) -> None:
    """Until the agent's SerialScanner has the port open (a scan before that is lost)."""
    await wait_until_async(lambda: scanner.connected, timeout_s, f"the scanner reader to open {scanner.port}",
                           poll_s=0.02)
    await asyncio.sleep(PORT_SETTLE_S)


def wait_connected_sync(scanner, timeout_s: float = 10.0) -> None:
    """`wait_connected` for tests that run the reader without an event loop."""
    wait_until(lambda: scanner.connected, timeout_s, f"the scanner reader to open {scanner.port}")
    time.sleep(PORT_SETTLE_S)
