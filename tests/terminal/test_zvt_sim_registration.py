"""The simulated ZVT terminal honours what the cash register's registration (06 00) asked.

A bare cash register (our codec in the ECR role on a real TCP socket, not our driver)
registers without a currency code and with config byte 0x38, as other ZVT cash-register
libraries do: the completion carries no currency (PA00P015 returns one only when it was
sent), and the terminal prints its receipts itself (bits 02 and 04 clear) instead of
sending them to the register.
"""

from __future__ import annotations

import socket
import time

import pytest

from agent.terminal.link import parse_tcp
from protocol.terminal.zvt import (Ack, Authorisation, Bmps, Completion, EndOfDay,
                                   IntermediateStatus, PrintLine, PrintTextBlock, Registration,
                                   Role, State, StatusInformation, ZvtConnection)
from protocol.terminal.zvt.messages import DEFAULT_CONFIG_BYTE
from tests.terminal.zvt_support import events_of, start_zvt_sim

PT_PRINTS = 0x38   # intermediate status, ECR controls payment and administration; no receipts


class BareRegister:
    """Sends one command at a time and acknowledges everything the terminal says."""

    def __init__(self, device: str) -> None:
        self.sock = socket.create_connection(parse_tcp(device), timeout=10)
        self.conn = ZvtConnection(Role.ECR, "tcp")

    def run(self, command) -> list:
        self.conn.send(command)
        self.sock.sendall(self.conn.data_to_send())
        heard, deadline = [], time.monotonic() + 15
        while self.conn.state is not State.IDLE:
            assert time.monotonic() < deadline, f"no end to {command.NAME}: {heard}"
            for event in events_of(self.conn, self.sock.recv(4096)):
                heard.append(event)
                if not isinstance(event, Ack):
                    self.conn.send(Ack())
            self.sock.sendall(self.conn.data_to_send())
        return heard

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def register(tmp_path):
    sim = start_zvt_sim(tmp_path / "sim", "tcp", scenario="approve")
    bare = BareRegister(sim.device)
    yield bare
    bare.close()
    sim.stop()


def _completion(heard: list) -> Completion:
    (done,) = [e for e in heard if isinstance(e, Completion)]
    return done


def _receipts(heard: list) -> list:
    return [e for e in heard if isinstance(e, (PrintTextBlock, PrintLine))]


def test_registration_answers_a_currency_only_when_one_was_sent(register):
    without = register.run(Registration("000000", PT_PRINTS, currency=None))
    assert _completion(without).bmps.currency is None
    with_eur = register.run(Registration("000000", PT_PRINTS, currency=978))
    assert _completion(with_eur).bmps.currency == 978


def test_a_register_that_does_not_print_gets_no_receipts(register):
    register.run(Registration("000000", PT_PRINTS, currency=None))
    payment = register.run(Authorisation(Bmps(amount=1500, currency=978)))
    (result,) = [e for e in payment if isinstance(e, StatusInformation)]
    assert result.bmps.result_code == 0 and _receipts(payment) == []
    assert any(isinstance(e, IntermediateStatus) for e in payment)   # 08 is still set
    end_of_day = register.run(EndOfDay("000000"))
    assert _receipts(end_of_day) == [] and any(isinstance(e, StatusInformation) for e in end_of_day)


def test_a_register_that_prints_gets_its_receipts(register):
    register.run(Registration("000000", DEFAULT_CONFIG_BYTE))
    payment = register.run(Authorisation(Bmps(amount=1500, currency=978)))
    (receipt,) = _receipts(payment)
    assert any("APPROVED" in line for line in receipt.lines)
    assert _receipts(register.run(EndOfDay("000000")))
