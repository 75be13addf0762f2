"""`counterpay demo` end to end: real processes (mosquitto with the hub's TLS, hub, case-system,
terminal and scanner simulators, an enrolled agent), checked from outside.

- headless: every kind of payment goes through the real agent and the summary's proof
  (hub API, case-system record, terminal ledger) holds; nothing runs afterwards;
- without a TTY the demo says so, runs a short headless demo and does not hang;
- interactive under a real pty: the UI comes up, a Ctrl-C typed by the person stops
  every part, and nothing is left (checked from /proc and the pid files).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from counterpay.site_process import running_in
from tests.support.waiting import wait_until

KINDS = {"card", "cash", "card-declined", "card-lost", "scan-pagopa", "scan-epc", "scan-zbp", "scan-rf",
         "scan-cp-order"}


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "counterpay", "demo", *args]


def assert_nothing_left(workdir: Path) -> None:
    wait_until(lambda: not running_in(workdir), 10, "the demo's processes to end",
               detail=lambda: f"still running: {running_in(workdir)}")
    assert not list((workdir / "pids").glob("*.pid")), "pid files left behind"
    assert not (workdir / "hub" / "broker" / "mosquitto.pid").exists()


def run_headless(workdir: Path, count: int, timeout_s: float) -> dict:
    done = subprocess.run(demo_command("--dir", str(workdir), "--headless", "--payments", str(count), "--json"),
                          capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def check_summary(summary: dict, count: int) -> None:
    assert summary["ok"] is True and summary["problems"] == []
    assert set(summary["by_kind"]) == KINDS
    declined = sum(summary["by_kind"]["card-declined"].values())
    assert summary["declined"] == declined and declined > 0
    assert summary["taken"] == count - declined
    assert summary["recovered_after_lost_answer"] == sum(summary["by_kind"]["card-lost"].values()) >= 1
    assert summary["stored_at_hub"] == summary["taken"]
    assert summary["delivered_to_case_system"] == summary["taken"]
    assert summary["unlinked"] == 0
    assert summary["refused"] == 0 and summary["other"] == 0


def test_headless_demo_takes_every_kind_and_proves_it(tmp_path):
    workdir = tmp_path / "site"
    summary = run_headless(workdir, 30, timeout_s=180)
    check_summary(summary, 30)
    # The proof is read again here, from the parts' own files, not only from the summary.
    ledger = [json.loads(line) for line in (workdir / "terminal-ledger.jsonl").read_text().splitlines()]
    charged = [r["amount_minor"] for r in ledger if r.get("record") == "request" and r["charged"]]
    assert len(charged) == len(set(charged)), "a card was charged twice"
    assert any(r.get("step") == "lose_answer" and r["charged"] for r in ledger)
    record = [json.loads(line) for line in (workdir / "case-system-record.jsonl").read_text().splitlines()]
    accepted = [r for r in record if r["verified"] and r["answered"] < 300]
    assert len(accepted) == summary["taken"] and not any(r["duplicate"] for r in accepted)
    assert_nothing_left(workdir)


@pytest.mark.slow
def test_headless_demo_with_1000_payments(tmp_path):
    started = time.monotonic()
    summary = run_headless(tmp_path / "site", 1000, timeout_s=1200)
    check_summary(summary, 1000)
    print(f"1000 payments: {summary['seconds']} (wall {time.monotonic() - started:.0f} s)")
    assert_nothing_left(tmp_path / "site")


def test_demo_without_a_tty_falls_back_to_headless_and_leaves_nothing(tmp_path):
    workdir = tmp_path / "site"
    done = subprocess.run(demo_command("--dir", str(workdir)), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "no terminal (TTY)" in done.stderr
    assert "OK: every approved payment is stored once" in done.stdout
    assert_nothing_left(workdir)


class PtyScreen:
    """The demo on a real pseudo-terminal, its output drained continuously (a UI blocks otherwise)."""

    def __init__(self, command: list[str]):
        self.master, slave = os.openpty()
        os.set_blocking(self.master, False)
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        self.process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True)      # the pty becomes its controlling terminal
        os.close(slave)
        self.output = bytearray()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return

    def wait_for(self, text: bytes, timeout_s: float, after: int = 0) -> None:
        """Until `text` is on the screen (in what was drawn past offset `after`)."""
        def shown() -> bool:
            assert self.process.poll() is None, f"the demo exited early: {self.output[-2000:]!r}"
            return self.output.find(text, after) >= 0
        wait_until(shown, timeout_s, f"{text!r} on the demo's screen", poll_s=0.1,
                   detail=lambda: f"screen so far: {self.output[-2000:]!r}")

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self._stop.set()
        self._reader.join(2)
        os.close(self.master)


@pytest.mark.parametrize("how", ["typed", pytest.param("sigint", marks=pytest.mark.slow)])
def test_ctrl_c_in_the_interactive_demo_stops_everything(tmp_path, how):
    """typed: the person presses Ctrl-C in the UI (raw mode: a key, the UI quits);
    sigint: `kill -INT` to the demo itself while the UI runs."""
    workdir = tmp_path / "site"
    screen = PtyScreen(demo_command("--dir", str(workdir)))
    try:
        screen.wait_for(b"Press Enter to open the counter UI", 120)
        assert (workdir / "demo-info.txt").read_text().count("admin token") == 1
        info = (workdir / "demo-info.txt").read_text()
        username, pin = re.search(r"desk login +username (\S+), PIN (\d+)", info).groups()
        screen.type(b"\r")
        screen.wait_for(b"Log in to work at this desk", 60)     # the desk asks for the operator first
        # Keys typed before the UI reads them, or before Enter has moved the focus to the PIN,
        # land nowhere or in the wrong field: each field's text is seen drawn before going on.
        time.sleep(1)                                 # drawn a moment before it reads keys
        mark = len(screen.output)
        screen.type(username.encode())
        screen.wait_for(username.encode(), 60, after=mark)
        screen.type(b"\r")
        time.sleep(0.5)
        for _ in range(5):
            mark = len(screen.output)
            screen.type(pin.encode())
            screen.wait_for("•".encode() * len(pin), 30, after=mark)
            screen.type(b"\r")
            # The desk may not have heard the hub's roster yet (the UI connects as it opens): it
            # says so and the person tries again, as here.
            wait_until(lambda mark=mark: b"Clerk" in screen.output[mark:] or b"not heard from the hub" in screen.output[mark:],
                       60, "the clerk screen or the login's answer")
            if b"Clerk" in screen.output[mark:]:
                break
            time.sleep(1)
        screen.wait_for(b"Clerk", 1)                  # the clerk screen is drawn
        assert (workdir / "pids" / "agent.pid").exists()
        if how == "typed":
            screen.type(b"\x03")                      # what a person's Ctrl-C sends
        else:
            screen.process.send_signal(signal.SIGINT)
        assert screen.process.wait(60) == 0
        assert b"nothing left running" in screen.output
    finally:
        screen.close()
    assert_nothing_left(workdir)
