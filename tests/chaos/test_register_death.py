"""A cash register killed mid-conversation, and a new one talking at once, must not kill the
simulated terminal (found by the chaos run: the ZVT simulator died with the protocol error "PT may
not send ack (80 00) / completion (06 0f) in state idle" and every later card payment was
refused).  Raw ZVT frames on a real pty."""

from __future__ import annotations

import os
import termios
import time
import tty

from protocol.terminal.zvt import Registration, StatusEnquiry, ZvtConnection
from protocol.terminal.zvt.connection import Role
from tests.terminal.zvt_support import start_zvt_sim


def _open_raw(device: str) -> int:
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def _read_for(fd: int, seconds: float) -> bytes:
    out, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            out += os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.02)
    return out


def test_the_terminal_survives_a_register_that_died_mid_conversation(tmp_path):
    sim = start_zvt_sim(tmp_path / "sim")
    try:
        dead = _open_raw(sim.device)
        first = ZvtConnection(Role.ECR, "serial")
        first.send(Registration())
        os.write(dead, first.data_to_send())
        assert _read_for(dead, 0.5), "the simulator did not answer the registration"
        os.close(dead)            # killed: the terminal's completion is never acknowledged

        fd = _open_raw(sim.device)
        for _ in range(3):        # a new register registers at once, and again while unanswered
            newcomer = ZvtConnection(Role.ECR, "serial")
            newcomer.send(Registration())
            os.write(fd, newcomer.data_to_send())
            _read_for(fd, 0.6)
        _read_for(fd, 6.0)        # the simulator gives up on the dead register's conversation

        assert sim.process.poll() is None, (tmp_path / "sim" / "stderr.txt").read_text()[-2000:]
        ask = ZvtConnection(Role.ECR, "serial")
        ask.send(StatusEnquiry())
        os.write(fd, ask.data_to_send())
        answer = _read_for(fd, 2.0)
        assert answer.startswith(b"\x06") or b"\x80\x00" in answer, f"no answer to a status enquiry: {answer!r}"
        os.close(fd)
    finally:
        sim.process.kill()
        sim.process.wait(10)
