"""`counterpay sim scanner` behaves like a serial scanner: bytes, then the terminator."""

from __future__ import annotations

import subprocess
import sys
import time

import serial

from tests.agent.scanner_sim import sim_scanner


def _read_until(port: serial.Serial, size: int, timeout_s: float = 6.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout_s
    while len(data) < size and time.monotonic() < deadline:
        data += port.read(size - len(data))
    return data


def test_pty_scanner_sends_payload_and_terminator_repeatedly():
    with sim_scanner("--payload", "RF18539007547034", "--terminator", "CRLF", "--repeat", "2",
                     "--interval", "0.1", "--delay", "0.5") as (proc, device):
        assert device.startswith("/dev/pts/")
        with serial.Serial(device, timeout=0.2) as port:
            data = _read_until(port, 36)
    assert data == b"RF18539007547034\r\n" * 2


def test_file_bytes_are_sent_as_they_are(tmp_path):
    raw = "BCD\n002\n1\nSCT\n\nCittà di Roma".encode() + b"\n"
    path = tmp_path / "code.bin"
    path.write_bytes(raw)
    with sim_scanner("--file", str(path), "--terminator", "LF", "--delay", "0.5") as (_, device):
        with serial.Serial(device, timeout=0.2) as port:
            data = _read_until(port, len(raw) + 1)
    assert data == raw + b"\n"


def test_usage_errors_name_the_problem():
    run = lambda *a: subprocess.run([sys.executable, "-m", "counterpay.cli", "sim", "scanner", *a],
                                    capture_output=True, text=True, timeout=20)
    both = run("--pty", "--serial", "/dev/ttyS0", "--payload", "x")
    assert both.returncode == 2 and "exactly one of --pty, --serial" in both.stderr
    none = run("--pty")
    assert none.returncode == 2 and "exactly one of --payload P, --file F" in none.stderr
    missing = run("--pty", "--file", "/nonexistent/code.txt")
    assert missing.returncode == 2 and "--file /nonexistent/code.txt" in missing.stderr
    bad_port = run("--serial", "/dev/nonexistent-port", "--payload", "x")
    assert bad_port.returncode == 2 and "cannot open it" in bad_port.stderr


def test_trigger_mode_scans_once_per_line_on_stdin():
    from tests.agent.scanner_sim import pull_trigger
    with sim_scanner("--payload", "RF18539007547034", "--trigger") as (proc, device):
        with serial.Serial(device, timeout=0.2) as port:
            time.sleep(0.1)
            assert port.read(100) == b""                 # nothing until the trigger
            pull_trigger(proc)
            pull_trigger(proc)
            data = _read_until(port, 34)
    assert data == b"RF18539007547034\r" * 2
