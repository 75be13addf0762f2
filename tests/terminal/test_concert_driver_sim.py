"""The Concert driver against the simulated Concert terminal, a real process on a real pty.

For every scenario step that means something on a Concert line: the outcome the driver
reports, one outcome per intent in its journal (written after the intent), and the
simulator's ledger, which is the truth about the card, showing no second charge.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from agent.terminal.base import Intent, IntentKind, Outcome
from agent.terminal.factory import open_driver
from agent.terminal.file_journal import FileJournal
from tests.terminal.concert_support import start_sim

ANSWER_TIMEOUT_S = 2.0


@pytest.fixture
def concert(tmp_path):
    """Factory: (scenario TOML steps) -> (driver, journal, sim); everything closed after."""
    opened = []

    def make(steps_toml: str = '[[steps]]\naction = "approve"\n', name: str = "sim"):
        sim = start_sim(tmp_path / name, scenario_text=f'name = "{name}"\n' + steps_toml)
        journal = FileJournal(tmp_path / name / "journal.jsonl")
        driver = open_driver("concert", sim.device, journal, answer_timeout_s=ANSWER_TIMEOUT_S)
        opened.append((driver, sim))
        return driver, journal, sim

    yield make
    for driver, sim in opened:
        driver.close()
        sim.stop()


def intent(amount: int = 1250, kind: IntentKind = IntentKind.PAYMENT, **extra) -> Intent:
    return Intent(intent_id=str(uuid.uuid4()), kind=kind, amount_minor=amount,
                  created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra)


def assert_journal_sound(journal: FileJournal) -> None:
    """Every intent before its outcome, exactly one outcome per intent."""
    seen: set[str] = set()
    outcomes: dict[str, int] = {}
    for record in journal.records():
        if record["record"] == "intent":
            seen.add(record["intent"]["intent_id"])
        else:
            intent_id = record["result"]["intent_id"]
            assert intent_id in seen, "outcome journaled for an intent not journaled before"
            outcomes[intent_id] = outcomes.get(intent_id, 0) + 1
    assert set(outcomes) == seen and set(outcomes.values()) == {1}, outcomes


STEP_CASES = {
    # id: (steps TOML for the first request, expected outcome, was the card charged?)
    "approve": ('action = "approve"', Outcome.APPROVED, True),
    "decline": ('action = "decline"\nresult_code = "05"', Outcome.DECLINED, False),
    "slow_pin": ('action = "slow_pin"\nseconds = 0.5', Outcome.APPROVED, True),
    "no_answer": ('action = "no_answer"', Outcome.OPERATOR_CHECK, False),
    "lose_answer": ('action = "lose_answer"', Outcome.OPERATOR_CHECK, True),
    "cable_pull": ('action = "cable_pull"', Outcome.OPERATOR_CHECK, True),
    "busy": ('action = "busy"', Outcome.ABORTED, False),
    "bad_lrc_once": ('action = "bad_checksum"\ntimes = 1', Outcome.APPROVED, True),
    "bad_lrc_always": ('action = "bad_checksum"\ntimes = 3', Outcome.OPERATOR_CHECK, True),
    "split": ('action = "split"\nchunk_bytes = 3\ngap_s = 0.01', Outcome.APPROVED, True),
    "slow_line": ('action = "slow_line"\nbytes_per_second = 200', Outcome.APPROVED, True),
}


@pytest.mark.parametrize("case", list(STEP_CASES))
def test_scenario_step_gives_one_outcome_per_intent_and_no_second_charge(concert, case):
    step, expected, charged = STEP_CASES[case]
    driver, journal, sim = concert(f"[[steps]]\n{step}\n\n[[steps]]\naction = \"approve\"\n", case)
    first = intent(1250)
    result = driver.pay(first)
    assert result.outcome is expected, result.message
    assert result.intent_id == first.intent_id and result.amount_minor == 1250

    # The line is usable again, and the next customer is charged once.
    follow = driver.pay(intent(700))
    assert follow.outcome is Outcome.APPROVED, follow.message

    requests = sim.requests()
    assert [r["amount_minor"] for r in requests] == [1250, 700]  # each request reached the terminal once
    # Journal first: each intent was on disk before the terminal saw its request.
    journaled = [r["at"] for r in journal.records() if r["record"] == "intent"]
    assert all(j <= r["at"] for j, r in zip(journaled, requests, strict=True))
    assert [r["amount_minor"] for r in sim.charges()] == ([1250, 700] if charged else [700])
    assert_journal_sound(journal)
    if expected is Outcome.OPERATOR_CHECK:
        hint = result.operator_hint or ""
        assert "12.50 EUR" in hint and "last ticket" in hint and "do NOT start it again" in hint
    if expected is Outcome.APPROVED:
        assert result.masked_pan and result.masked_pan.endswith("1234")
        assert len(re.findall(r"\d", result.masked_pan)) <= 4


def test_the_same_intent_is_never_sent_twice(concert):
    driver, journal, sim = concert('[[steps]]\naction = "lose_answer"\n', "twice")
    lost = intent(1250)
    assert driver.pay(lost).outcome is Outcome.OPERATOR_CHECK
    again = driver.pay(lost)  # a clerk pressing "pay" again must not charge again
    assert again.outcome is Outcome.OPERATOR_CHECK and again.recovered
    assert len(sim.requests()) == 1 and len(sim.charges()) == 1


def test_recover_after_a_restart_asks_the_operator_without_touching_the_terminal(concert):
    driver, journal, sim = concert('[[steps]]\naction = "approve"\n', "restart")
    pending = intent(4200, reference="CASE-17")
    journal.record_intent(pending)  # the process died right after journaling the intent
    fresh = open_driver("concert", sim.device, journal, answer_timeout_s=ANSWER_TIMEOUT_S)
    try:
        result = fresh.recover(pending)
    finally:
        fresh.close()
    assert result.outcome is Outcome.OPERATOR_CHECK and result.recovered
    assert "42.00 EUR" in result.operator_hint and "CASE-17" in result.operator_hint
    assert sim.requests() == []
    assert journal.open_intents() == [pending]  # still open: only a person can close it
    assert driver.last_result() is None


def test_refund_and_cancellation_use_concert_types_and_the_ledger_nets_them(concert):
    driver, journal, sim = concert('[[steps]]\naction = "approve"\n', "undo")
    paid = driver.pay(intent(1250))
    assert paid.outcome is Outcome.APPROVED
    receipt = sim.charges()[0]["receipt_no"]
    undone = driver.reverse(intent(1250, IntentKind.REVERSAL, receipt_no=str(receipt)))
    assert undone.outcome is Outcome.APPROVED, undone.message
    refunded = driver.refund(intent(500, IntentKind.REFUND))
    assert refunded.outcome is Outcome.APPROVED
    nothing = driver.reverse(intent(999, IntentKind.REVERSAL, receipt_no="77"))
    assert nothing.outcome is Outcome.DECLINED  # no payment of 9.99 to cancel
    kinds = [(r["kind"], r["amount_minor"], r["charged"], r["reverses"]) for r in sim.requests()]
    assert kinds == [("payment", 1250, True, None), ("reversal", 1250, True, receipt),
                     ("refund", 500, True, None), ("reversal", 999, False, None)]
    assert_journal_sound(journal)


def test_reverse_can_be_left_to_the_operator(concert):
    _, journal, sim = concert('[[steps]]\naction = "approve"\n', "manual")
    driver = open_driver("concert", sim.device, journal, cancel_on_terminal=False)
    try:
        result = driver.reverse(intent(1250, IntentKind.REVERSAL, receipt_no="12"))
    finally:
        driver.close()
    assert result.outcome is Outcome.OPERATOR_CHECK
    assert "receipt number 12" in result.operator_hint and "annulation" in result.operator_hint
    assert sim.requests() == []


def test_status_end_of_day_and_last_result_say_what_concert_can_and_cannot(concert):
    driver, _, sim = concert('[[steps]]\naction = "approve"\n', "status")
    status = driver.status()
    assert status.ok and not status.busy
    eod = driver.end_of_day()
    assert not eod.ok and "telecollection" in eod.message and "terminal's own menu" in eod.message
    assert driver.last_result() is None
    assert sim.requests() == []  # a status check is no financial request


def test_status_with_nothing_on_the_line_says_what_to_check(tmp_path):
    import os

    master, slave = os.openpty()
    try:
        driver = open_driver("concert", os.ttyname(slave), FileJournal(tmp_path / "j.jsonl"))
        try:
            status = driver.status()
        finally:
            driver.close()
    finally:
        os.close(master)
        os.close(slave)
    assert not status.ok and "8N1" in status.message and "7E1" in status.message


def test_the_simulator_log_shows_frames_and_their_meaning_without_card_numbers(concert):
    driver, _, sim = concert('[[steps]]\naction = "approve"\n', "log")
    driver.pay(intent(1250))
    time.sleep(0.2)
    log = sim.log()
    assert "request POS 01: debit 12.50 currency 978" in log
    assert "full answer POS 01: status 0 (success) 12.50" in log
    assert "ACK: request received" in log and "EOT: answer delivered" in log
    assert "card '************1234'" in log  # the meaning column masks even the first six


def test_garbage_from_the_cash_register_does_not_stop_the_simulated_terminal(concert):
    import os

    driver, _, sim = concert('[[steps]]\naction = "approve"\n', "garbage")
    fd = os.open(sim.device, os.O_RDWR | os.O_NOCTTY)
    try:
        # Noise, then a session carrying an intact frame that is not Concert V2 (V3 tags).
        os.write(fd, b"\x00\xff\x13noise\x05")
        time.sleep(0.3)
        body = b"CZ0040320CA0011CB0042500\x03"
        lrc = 0
        for byte in body:
            lrc ^= byte
        os.write(fd, b"\x02" + body + bytes([lrc]))
        time.sleep(0.3)
    finally:
        os.close(fd)
    result = driver.pay(intent(1250))
    assert result.outcome is Outcome.APPROVED, result.message
    assert sim.process.poll() is None
    log = sim.log()
    assert "ignored" in log and "protocol error, line reset" in log and "Concert V2" in log
    assert [r["amount_minor"] for r in sim.requests()] == [1250]
