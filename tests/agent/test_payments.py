"""The payment life against a real SQLite store, with a terminal that answers as scripted."""

from __future__ import annotations

import pytest

from protocol.domain import FINAL_JOURNAL_STATES, JournalState
from protocol.wire import decode
from protocol.wire.messages import PaymentCaptured, body_of, validate_body

from agent.config import PrinterConfig, TerminalConfig
from agent.journal import SqliteJournal
from agent.outbox import Outbox
from agent.payments import PaymentLife, PaymentRequest
from agent.receipts import ReceiptPrinter
from agent.store import Store
from agent.terminal.base import (EndOfDayResult, Intent, Outcome, TerminalDriver, TerminalError, TerminalResult,
                                 TerminalStatus)
from agent.terminal.session import TerminalSession

from tests.agent.conftest import AGENT_ID


class LostAnswerTerminal(TerminalDriver):
    """Takes the request and never answers; asked afterwards, it is busy once, then has the approval."""

    protocol = "scripted"

    def __init__(self, journal):
        super().__init__(journal)
        self.recoveries = 0
        self.payments = 0

    def pay(self, intent: Intent) -> TerminalResult:
        self.journal.record_intent(intent)
        self.payments += 1
        raise TerminalError("no answer")

    def recover(self, intent: Intent) -> TerminalResult:
        self.recoveries += 1
        if self.recoveries == 1:
            return TerminalResult(intent.intent_id, Outcome.UNKNOWN, "the terminal is busy")
        return TerminalResult(intent.intent_id, Outcome.APPROVED, "approved", intent.amount_minor, intent.currency,
                              receipt_no="0042", recovered=True)

    def refund(self, intent):
        raise NotImplementedError

    def reverse(self, intent):
        raise NotImplementedError

    def end_of_day(self):
        return EndOfDayResult(True, "closed")

    def status(self):
        return TerminalStatus(True, "ready")

    def last_result(self):
        return None


class ScriptedSession(TerminalSession):
    def __init__(self, journal):
        super().__init__(TerminalConfig("scripted", "nowhere"), journal)
        self.scripted = LostAnswerTerminal(journal)

    def driver(self, quiet: bool = False):
        return self.scripted


@pytest.fixture
def life(tmp_path, keys):
    store = Store.open(tmp_path / "agent.db")
    journal = SqliteJournal(store)
    terminal = ScriptedSession(journal)
    yield PaymentLife(store, Outbox(store, AGENT_ID, keys.agent), keys.agent, journal=journal, terminal=terminal,
                      agent_id=AGENT_ID, office="Riga 1",
                      printer=ReceiptPrinter(PrinterConfig("file", str(tmp_path / "receipts.bin"))),
                      tenders=["card", "cash"])
    store.close()


def card(amount: int) -> PaymentRequest:
    return PaymentRequest(amount, "EUR", "card", {"format": "case", "value": "WAW/2026/77"}, case_ref="WAW/2026/77")


def test_a_store_error_while_asking_about_an_earlier_payment_refuses_with_the_reason(life):
    first = life.take(card(1000))
    assert first.outcome == "unknown" and life.unresolved == [first.payment_id]
    life.store.conn.execute("PRAGMA query_only = ON")      # the disk turns read-only under the agent
    refused = life.take(card(2000))
    assert refused.outcome == "refused" and refused.payment_id is None
    assert "unknown outcome" in refused.message and "read-only" in refused.message, refused.message
    assert life.terminal.scripted.payments == 1                          # the new payment was never sent
    life.store.conn.execute("PRAGMA query_only = OFF")
    third = life.take(card(3000))                                       # the earlier one is settled first,
    assert life.journal.get(first.payment_id)["state"] == "approved"    # from the terminal's answer
    assert third.outcome == "approved" and life.terminal.scripted.payments == 2
    assert life.outbox.depth() == 2


def test_every_terminal_outcome_is_stored_as_the_journal_state_of_its_name():
    assert {outcome.value for outcome in Outcome} <= set(JournalState)
    assert {outcome.value for outcome in Outcome if outcome.final} == set(FINAL_JOURNAL_STATES)


def test_a_payment_the_hub_could_not_accept_is_refused_before_it_is_journaled(life):
    request = card(1000)
    request.positions = [{"code": "FEE", "name": "x" * 201, "unit_minor": 1000}]
    refused = life.take(request)
    assert refused.outcome == "refused" and "positions.0.name" in refused.message, refused.message
    assert life.journal.recent() == [] and life.terminal.scripted.payments == 0


def test_the_captured_event_is_sent_as_its_schema_has_it_with_every_field(life):
    paid = life.take(PaymentRequest(1250, "EUR", "cash", {"format": "case", "value": "WAW/1"}, cash_given_minor=2000,
                                    positions=[{"code": "FEE", "unit_minor": 1250}]))
    assert paid.outcome == JournalState.APPROVED, paid.message
    [row] = life.outbox.pending()
    body = decode(row.envelope).body
    assert set(body) == set(PaymentCaptured.model_fields)            # nulls are sent, not left out
    assert body["tender"] == "cash" and body["change_minor"] == 750 and body["card"] is None
    assert body_of(validate_body("payment.captured", body)) == body  # what the hub reads is what was sent
