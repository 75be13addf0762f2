"""The Concert driver's reading of answers a real terminal may give and our simulator does not.

A scripted terminal (our codec in the terminal role, in a thread, on the master side of
a real pty) answers with a full card number in the report field, a status that says
nothing, an answer for another amount.  Full card numbers must not reach the result,
the journal, the log or the technician's trace; doubtful answers are OPERATOR_CHECK.
"""

from __future__ import annotations

import logging
import os
import re
import select
import threading
import uuid

import pytest

from agent.terminal.base import Intent, IntentKind, Outcome
from agent.terminal.concert_driver import ConcertDriver
from agent.terminal.file_journal import FileJournal
from agent.terminal.link import CONCERT_USB_LINE, open_link
from protocol.terminal.concert import ConcertConnection, PaymentAnswer, Role
from protocol.terminal.concert import events as ev

FULL_PAN = "4970101234567890"


class ScriptedTerminal(threading.Thread):
    """Answers one request with `answer_for(request)` through the whole Concert dance."""

    def __init__(self, master: int, answer_for) -> None:
        super().__init__(daemon=True)
        self.master, self.answer_for = master, answer_for
        self.conn = ConcertConnection(Role.TERMINAL)
        self.error: BaseException | None = None

    def _event(self):
        while True:
            event = self.conn.next_event()
            if event is not ev.NEED_DATA and not isinstance(event, ev.LineNoise):
                return event
            ready, _, _ = select.select([self.master], [], [], 5)
            assert ready, "the driver went silent"
            self.conn.receive_data(os.read(self.master, 256))

    def _send(self, command) -> None:
        os.write(self.master, self.conn.send(command))

    def run(self) -> None:
        try:
            assert self._event() == ev.SessionRequested()
            self._send(ev.AcceptSession())
            request = self._event().message
            self._send(ev.AcceptMessage())
            assert isinstance(self._event(), ev.SessionEnded)
            self._send(ev.OpenSession())
            assert self._event() == ev.SessionAccepted()
            self._send(ev.SendMessage(self.answer_for(request)))
            assert self._event() == ev.MessageAccepted()
            self._send(ev.EndSession())
        except BaseException as exc:  # reported by the test
            self.error = exc


@pytest.fixture
def scripted(tmp_path):
    opened = []

    def make(answer_for):
        master, slave = os.openpty()
        import tty

        tty.setraw(slave)
        terminal = ScriptedTerminal(master, answer_for)
        terminal.start()
        traces: list[tuple[str, bytes, str]] = []
        journal = FileJournal(tmp_path / f"journal{len(opened)}.jsonl")
        driver = ConcertDriver(open_link(os.ttyname(slave), CONCERT_USB_LINE), journal,
                               answer_timeout_s=3, trace=lambda *t: traces.append(t))
        opened.append((driver, master, slave, terminal))
        return driver, journal, traces, terminal

    yield make
    for driver, master, slave, terminal in opened:
        driver.close()
        terminal.join(5)
        os.close(master)
        os.close(slave)


def intent(amount: int = 1250) -> Intent:
    return Intent(str(uuid.uuid4()), IntentKind.PAYMENT, amount, created_at="2026-11-22T09:30:00Z")


def test_a_full_card_number_from_the_terminal_is_masked_everywhere(scripted, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    driver, journal, traces, terminal = scripted(lambda r: PaymentAnswer(
        pos_number=r.pos_number, status="0", amount_minor=r.amount_minor, private=r.private,
        report=f"{FULL_PAN} 2812"))
    result = driver.pay(intent())
    terminal.join(5)
    assert terminal.error is None, terminal.error
    assert result.outcome is Outcome.APPROVED and result.masked_pan == "************7890"
    assert FULL_PAN not in journal.path.read_text()
    assert FULL_PAN not in caplog.text
    assert traces and not any(FULL_PAN.encode() in data or FULL_PAN in meaning for _, data, meaning in traces)
    assert any(direction == "<-" and b"************7890" in data for direction, data, _ in traces)


@pytest.mark.parametrize("answer_for,why", [
    (lambda r: PaymentAnswer(pos_number=r.pos_number, status="9", amount_minor=r.amount_minor),
     "status '9'"),
    (lambda r: PaymentAnswer(pos_number=r.pos_number, status="0", amount_minor=r.amount_minor + 1),
     "not for this request"),
    (lambda r: PaymentAnswer(pos_number=7, status="0", amount_minor=r.amount_minor),
     "POS 07"),
])
def test_answers_that_do_not_settle_the_request_go_to_the_operator(scripted, answer_for, why):
    driver, journal, _, terminal = scripted(answer_for)
    result = driver.pay(intent())
    terminal.join(5)
    assert terminal.error is None, terminal.error
    assert result.outcome is Outcome.OPERATOR_CHECK and why in result.message
    # The time to look for is when the request went out (not when the intent was made).
    assert "12.50 EUR" in result.operator_hint and "09:30 UTC" not in result.operator_hint
    assert re.search(r"at about \d\d:\d\d local time \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)", result.operator_hint)
    assert [r.outcome for r in journal.outcomes()] == [Outcome.OPERATOR_CHECK]


class LateAnswerTerminal(ScriptedTerminal):
    """Meets the driver's ENQ with its own: an answer to an earlier request was still due."""

    def run(self) -> None:
        try:
            assert self._event() == ev.SessionRequested()       # the driver's ENQ...
            self.conn = ConcertConnection(Role.TERMINAL)         # ...crosses ours on the line
            self._send(ev.OpenSession())
            assert self._event() == ev.SessionAccepted()         # the driver yields
            self._send(ev.SendMessage(PaymentAnswer(pos_number=1, status="0", amount_minor=999)))
            assert self._event() == ev.MessageAccepted()
            self._send(ev.EndSession())
            super().run()                                        # then the real exchange
        except BaseException as exc:
            self.error = exc


def test_a_late_answer_crossing_our_request_is_set_aside_not_taken_for_ours(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    journal = FileJournal(tmp_path / "journal.jsonl")
    master, slave = os.openpty()
    import tty

    tty.setraw(slave)
    late = LateAnswerTerminal(master, lambda r: PaymentAnswer(
        pos_number=r.pos_number, status="7", amount_minor=r.amount_minor, private=r.private))
    late.start()
    driver = ConcertDriver(open_link(os.ttyname(slave), CONCERT_USB_LINE), journal, answer_timeout_s=3)
    try:
        result = driver.pay(intent(1250))
    finally:
        driver.close()
        late.join(5)
        os.close(master)
        os.close(slave)
    assert late.error is None, late.error
    assert result.outcome is Outcome.DECLINED and result.amount_minor == 1250
    assert "late Concert answer" in caplog.text and "9.99" in caplog.text


def test_a_failing_progress_display_does_not_lose_the_outcome(tmp_path):
    master, slave = os.openpty()
    import tty

    tty.setraw(slave)
    terminal = ScriptedTerminal(master, lambda r: PaymentAnswer(
        pos_number=r.pos_number, status="0", amount_minor=r.amount_minor, private=r.private))
    terminal.start()
    journal = FileJournal(tmp_path / "journal.jsonl")

    def broken_display(text: str) -> None:
        raise RuntimeError("the screen is gone")

    driver = ConcertDriver(open_link(os.ttyname(slave), CONCERT_USB_LINE), journal, broken_display,
                           answer_timeout_s=3)
    try:
        result = driver.pay(intent())
    finally:
        driver.close()
        terminal.join(5)
        os.close(master)
        os.close(slave)
    assert result.outcome is Outcome.APPROVED
    assert [r.outcome for r in journal.outcomes()] == [Outcome.APPROVED]
