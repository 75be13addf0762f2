"""Start `counterpay sim scanner` as a real subprocess and learn its device path."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager


@contextmanager
def sim_scanner(*args: str):
    """Yield (process, device) for a sim scanner on a fresh pty; stop it afterwards."""
    proc = subprocess.Popen([sys.executable, "-m", "counterpay.cli", "sim", "scanner", "--pty", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("device: "), f"sim scanner said {first!r}, stderr: {proc.stderr.read()}"
        yield proc, first.split(" ", 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
