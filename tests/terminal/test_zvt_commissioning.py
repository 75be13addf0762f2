"""Commissioning paths: the simulator on a serial device (--serial, as on a null-modem
cable) and the technician commands `counterpay terminal check | pay | reverse | end-of-day`."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import tty

from tests.terminal.zvt_support import REPO, start_zvt_sim

CLI = [sys.executable, "-m", "counterpay", "terminal"]


class NullModem:
    """Two ptys whose masters are cross-wired: like two serial ports and a null-modem cable."""

    def __init__(self) -> None:
        self.a_master, a_slave = os.openpty()
        self.b_master, b_slave = os.openpty()
        for fd in (a_slave, b_slave):
            tty.setraw(fd)
        self.a_path, self.b_path = os.ttyname(a_slave), os.ttyname(b_slave)
        self._slaves = (a_slave, b_slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        peer = {self.a_master: self.b_master, self.b_master: self.a_master}
        while not self._stop.is_set():
            ready, _, _ = select.select(list(peer), [], [], 0.1)
            for fd in ready:
                try:
                    os.write(peer[fd], os.read(fd, 4096))
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for fd in (self.a_master, self.b_master, *self._slaves):
            os.close(fd)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_simulator_on_a_serial_device_through_a_null_modem(tmp_path):
    cable = NullModem()
    try:
        sim = start_zvt_sim(tmp_path / "sim", cable.a_path, scenario="approve")
    except RuntimeError:
        cable.close()
        raise
    try:
        done = run_cli("check", "--protocol", "zvt", "--device", cable.b_path,
                       "--journal", str(tmp_path / "j.jsonl"), "--amount", "1.00")
    finally:
        sim.stop()
        cable.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "check: PASSED" in done.stdout and [c["amount_minor"] for c in sim.charges()] == [100]


def test_technician_commands_print_the_answer_and_exit_by_outcome(tmp_path):
    sim = start_zvt_sim(tmp_path / "sim", "tcp", scenario="mixed_day")
    device, journal = sim.device, str(tmp_path / "journal.jsonl")
    common = ["--protocol", "zvt", "--device", device, "--journal", journal]
    try:
        check = run_cli("check", *common, "--amount", "12,50")
        declined = run_cli("pay", *common, "--amount", "3.20")
        lost = run_cli("pay", *common, "--amount", "4.00", "--answer-timeout", "1")
        reverse = run_cli("reverse", *common, "--receipt", "500", "--amount", "12.50")
        eod = run_cli("end-of-day", *common)
        bad = run_cli("pay", "--protocol", "zvt", "--device", "tcp://127.0.0.1:1",
                      "--journal", journal, "--amount", "1")
    finally:
        sim.stop()
    assert check.returncode == 0 and "receipt no:   500" in check.stdout
    assert "| APPROVED" in check.stdout and "476173******0010" in check.stdout
    assert declined.returncode == 1 and "outcome:  declined" in declined.stdout
    assert lost.returncode == 0 and "(recovered)" in lost.stdout      # charged, found again
    assert reverse.returncode == 0 and "outcome:  approved" in reverse.stdout
    assert eod.returncode == 0 and "total:      4.00 EUR" in eod.stdout
    assert bad.returncode == 2 and "cannot connect" in bad.stderr
    charged = [(c["kind"], c["amount_minor"]) for c in sim.charges()]
    assert charged == [("payment", 1250), ("payment", 400), ("reversal", 1250)]
    assert "4761739" not in open(journal).read().replace("476173******0010", "")
