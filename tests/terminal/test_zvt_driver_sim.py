"""The ZVT driver against the simulated terminal process, over a pty and over TCP.

For every bundled scenario: each intent ends with exactly one final outcome in the
journal, the simulator's ledger shows each intent reached the terminal at most once (no
second charge), every approval the driver reports is a charge in the ledger with the
same receipt number and vice versa, and the end of day totals what was approved.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from agent.terminal.base import Intent, IntentKind, Outcome
from agent.terminal.file_journal import FileJournal
from agent.terminal.link import ZVT_LINE, open_link
from agent.terminal.zvt_driver import ZvtDriver
from simulators.terminal.scenario import bundled_scenarios
from tests.support.waiting import wait_until
from tests.terminal.zvt_support import REPO, start_zvt_sim

# Short timers so lost answers are noticed quickly; slow_pin sends a status every second.
TIMERS = {"t3_s": 1.0, "t4_s": 2.5, "link_ack_s": 0.5}
A, D, X = Outcome.APPROVED, Outcome.DECLINED, Outcome.ABORTED
EXPECTED = {
    "approve": [A, A], "decline": [D, D], "slow_pin": [A, A], "no_answer": [X, A],
    "lose_answer": [A, A], "cable_pull": [A, A], "busy": [D, A], "bad_checksum": [A, A],
    "split_tcp": [A, A], "slow_line": [A, A], "mixed_day": [A, D, A, A],
}
RECOVERED_FIRST = {"no_answer", "lose_answer", "cable_pull"}


def test_every_bundled_scenario_has_an_expectation():
    assert set(bundled_scenarios()) == set(EXPECTED)


def driver_for(sim, journal, **extra) -> ZvtDriver:
    return ZvtDriver(open_link(sim.device, ZVT_LINE), journal, **{**TIMERS, **extra})


def assert_one_final_outcome_each(journal: FileJournal, intents: list[Intent]) -> None:
    for intent in intents:
        outcomes = journal.outcomes(intent.intent_id)
        finals = [o for o in outcomes if o.outcome.final]
        assert len(finals) == 1, f"{intent.intent_id}: {[o.outcome for o in outcomes]}"
        assert outcomes[-1] is not None and outcomes[-1].outcome.final
    assert journal.open_intents() == []


def assert_no_second_charge(sim, results) -> None:
    requests = sim.requests()
    assert len(requests) <= len(results), "a request reached the terminal twice"
    charged = sorted(r["receipt_no"] for r in sim.charges())
    approved = sorted(int(r.receipt_no) for r in results if r.outcome is Outcome.APPROVED)
    assert charged == approved


@pytest.mark.parametrize("transport", ["pty", "tcp"])
@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_driver_against_simulator(tmp_path, scenario, transport):
    sim = start_zvt_sim(tmp_path / "sim", transport, scenario=scenario)
    journal = FileJournal(tmp_path / "journal.jsonl")
    expected = EXPECTED[scenario]
    try:
        driver = driver_for(sim, journal)
        intents = [Intent(f"{scenario}-{i}", IntentKind.PAYMENT, 1500) for i in range(len(expected))]
        results = [driver.pay(intent) for intent in intents]
        assert [r.outcome for r in results] == expected, [r.message for r in results]
        assert results[0].recovered == (scenario in RECOVERED_FIRST)
        for result in results:
            if result.outcome is Outcome.APPROVED:
                assert result.receipt_no and result.masked_pan and "*" in result.masked_pan
        eod = driver.end_of_day()
        driver.close()
    finally:
        sim.stop()
    assert_one_final_outcome_each(journal, intents)
    assert_no_second_charge(sim, results)
    assert eod.ok and eod.total_minor == sum(r.amount_minor for r in results
                                             if r.outcome is Outcome.APPROVED)
    # the journal had each intent on disk, with the terminal's mark, before the terminal saw it
    assert all(i.terminal_mark for i in journal.intents())


SAME_AMOUNT_THEN_LOST = """
[[steps]]
action = "approve"
[[steps]]
action = "lose_answer"
"""


def test_a_lost_answer_is_not_mistaken_for_the_previous_payment_of_the_same_amount(tmp_path):
    sim = start_zvt_sim(tmp_path / "sim", "pty", scenario_text=SAME_AMOUNT_THEN_LOST)
    journal = FileJournal(tmp_path / "journal.jsonl")
    try:
        driver = driver_for(sim, journal)
        first = driver.pay(Intent("p1", IntentKind.PAYMENT, 1500))
        second = driver.pay(Intent("p2", IntentKind.PAYMENT, 1500))
        driver.close()
    finally:
        sim.stop()
    assert first.outcome is second.outcome is Outcome.APPROVED
    assert second.recovered and second.receipt_no != first.receipt_no
    assert [r["receipt_no"] for r in sim.charges()] == [int(first.receipt_no), int(second.receipt_no)]


def test_reversal_by_receipt_number_refund_and_end_of_day(tmp_path):
    sim = start_zvt_sim(tmp_path / "sim", "tcp", scenario="approve")
    journal = FileJournal(tmp_path / "journal.jsonl")
    try:
        driver = driver_for(sim, journal)
        paid = driver.pay(Intent("p", IntentKind.PAYMENT, 2000))
        kept = driver.pay(Intent("k", IntentKind.PAYMENT, 700))
        undo = driver.reverse(Intent("r", IntentKind.REVERSAL, 2000, receipt_no=paid.receipt_no))
        again = driver.reverse(Intent("r2", IntentKind.REVERSAL, 2000, receipt_no=paid.receipt_no))
        back = driver.refund(Intent("f", IntentKind.REFUND, 200))
        last = driver.last_result()
        status = driver.status()
        eod = driver.end_of_day()
        driver.close()
    finally:
        sim.stop()
    assert (paid.outcome, kept.outcome, undo.outcome, back.outcome) == (A, A, A, A)
    assert again.outcome is D and again.result_code == "B4"      # already reversed
    assert last.receipt_no == back.receipt_no and last.amount_minor == 200
    assert status.ok and status.terminal_id == "52500001"
    assert eod.total_minor == 700 - 200


def test_recovery_without_a_journaled_mark_asks_the_operator(tmp_path):
    sim = start_zvt_sim(tmp_path / "sim", "pty", scenario="approve")
    journal = FileJournal(tmp_path / "journal.jsonl")
    try:
        driver = driver_for(sim, journal)
        paid = driver.pay(Intent("p", IntentKind.PAYMENT, 1500))
        # An intent from a journal that did not keep terminal_mark, same amount as the last
        orphan = Intent("o", IntentKind.PAYMENT, 1500)
        journal.record_intent(orphan)
        answer = driver.recover(orphan)
        other = Intent("q", IntentKind.PAYMENT, 999)
        journal.record_intent(other)
        not_ours = driver.recover(other)
        driver.close()
    finally:
        sim.stop()
    assert paid.outcome is A
    assert answer.outcome is Outcome.OPERATOR_CHECK and paid.receipt_no in answer.operator_hint
    assert not_ours.outcome is X
    assert len(sim.requests()) == 1                           # recovery never re-sent anything


PAY_IN_CHILD = """
import sys
from agent.terminal.base import Intent, IntentKind
from agent.terminal.file_journal import FileJournal
from agent.terminal.link import ZVT_LINE, open_link
from agent.terminal.zvt_driver import ZvtDriver
driver = ZvtDriver(open_link(sys.argv[1], ZVT_LINE), FileJournal(sys.argv[2]), t4_s=60)
driver.pay(Intent("crash-1", IntentKind.PAYMENT, 4200))
"""


def test_restart_in_the_middle_is_resolved_from_the_journal(tmp_path):
    sim = start_zvt_sim(tmp_path / "sim", "pty", scenario="lose_answer")
    journal_path = tmp_path / "journal.jsonl"
    try:
        child = subprocess.Popen([sys.executable, "-c", PAY_IN_CHILD, sim.device, str(journal_path)],
                                 cwd=REPO)
        wait_until(sim.charges, 20, "the terminal's charge")
        os.kill(child.pid, signal.SIGKILL)                    # the agent dies, answer unseen
        child.wait(5)
        journal = FileJournal(journal_path)
        (open_intent,) = journal.open_intents()
        assert open_intent.intent_id == "crash-1" and journal.outcomes() == []
        driver = driver_for(sim, journal)
        result = driver.recover(open_intent)
        driver.close()
    finally:
        sim.stop()
    assert result.outcome is A and result.recovered
    assert result.receipt_no == str(sim.charges()[0]["receipt_no"])
    assert len(sim.requests()) == 1 and journal.open_intents() == []


@pytest.mark.parametrize("transport", ["pty", "tcp"])
def test_clerk_cancels_during_pin_entry_and_nothing_is_charged(tmp_path, transport):
    sim = start_zvt_sim(tmp_path / "sim", transport, scenario_text=
                        "[[steps]]\naction = 'slow_pin'\nseconds = 5\n[[steps]]\naction = 'approve'\n")
    journal = FileJournal(tmp_path / "journal.jsonl")
    try:
        driver = driver_for(sim, journal)
        progress: list[str] = []

        def cancel_on_pin(text: str) -> None:
            progress.append(text)
            if "PIN" in text:
                driver.request_abort()

        driver.on_progress = cancel_on_pin
        cancelled = driver.pay(Intent("c1", IntentKind.PAYMENT, 1500))
        driver.on_progress = lambda text: None
        after = driver.pay(Intent("c2", IntentKind.PAYMENT, 1500))
        driver.close()
    finally:
        sim.stop()
    assert cancelled.outcome is X and cancelled.result_code == "6C", cancelled.message
    assert after.outcome is A
    assert [r["charged"] for r in sim.requests()] == [False, True]
    assert_one_final_outcome_each(journal, [Intent("c1", IntentKind.PAYMENT, 1500),
                                            Intent("c2", IntentKind.PAYMENT, 1500)])
