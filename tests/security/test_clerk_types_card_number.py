"""Attack (or slip): a full card number typed into a payment's free text.

Before, a 16-digit PAN in the payer's name, id, operator, case reference, reference value,
a position's name, and in the terminal's auth code or trace number went into the journal,
the outbox and so the hub's webhooks.  Now the real agent service refuses the request before
journaling (naming the field), redacts what the terminal returns, and masks diagnostics;
the SQLite files are scanned byte for byte for the digits.
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from protocol import card_numbers
from protocol.ids import pagopa

from agent.config import load
from agent.payments import PaymentRequest
from agent.service import AgentService
from agent.sync import Backoff
from agent.terminal.base import Outcome, TerminalResult
from agent.ui.app import CounterpayApp

from tests.agent.conftest import keys, write_config, zvt_sim  # noqa: F401  (fixtures)
from tests.agent.ui_pilot import go_to_row, screen_text, type_text, wait_for_text
from tests.agent.ui_real import open_service as open_ui_service

PAN = "4111111111111111"
TYPED = {"4111111111111111": "4111 1111 1111 1111"}


@pytest.fixture
def service(tmp_path, keys):  # noqa: F811
    opened = AgentService.open(load(write_config(tmp_path, keys)), backoff=Backoff(0.05, 0.5))
    yield opened
    opened.close()


def store_bytes(service: AgentService) -> bytes:
    """Every byte SQLite holds for the agent: the database and its write-ahead log."""
    path = service.config.store_path
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def assert_no_card_number(service: AgentService, digits: str = PAN) -> None:
    data = store_bytes(service)
    for text in (digits, " ".join(digits[i:i + 4] for i in range(0, len(digits), 4)),
                 "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))):
        assert text.encode() not in data, f"{text} is in the agent's SQLite files"


def cash(**fields) -> PaymentRequest:
    fields.setdefault("reference", {"format": "case", "value": "WAW/2026/77"})
    return PaymentRequest(1700, "EUR", "cash", cash_given_minor=2000, **fields)


@pytest.mark.parametrize("field, request_fields", [
    ("payer_name", {"payer_name": "Jan 4111 1111 1111 1111 Kowalski"}),
    ("payer_id", {"payer_id": "4111-1111-1111-1111"}),
    ("operator", {"operator": "anna 4111111111111111"}),
    ("case_ref", {"case_ref": "WAW/4111 1111 1111 1111"}),
    ("order_id", {"order_id": "4111111111111111"}),
    ("reference", {"reference": {"format": "none", "value": "card 4111 1111 1111 1111"}}),
    ("positions", {"positions": [{"code": "REG-01", "name": "Fee 4111 1111 1111 1111", "quantity": 1,
                                  "unit_minor": 1700}]}),
])
def test_a_card_number_in_any_free_text_field_is_refused_and_nothing_is_journaled(service, caplog, field,
                                                                                   request_fields):
    with caplog.at_level(logging.INFO):
        outcome = service.pay(cash(**request_fields))
    assert (outcome.outcome, outcome.reason, outcome.field) == ("refused", "card_number", field)
    assert field.replace("_", " ") in outcome.message and PAN not in outcome.message
    assert service.recent_payments() == [] and service.outbox.depth() == 0
    assert_no_card_number(service)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert field in logged and PAN not in logged and "1111 1111" not in logged
    # The same desk takes the clean payment at once.
    assert service.pay(cash(payer_name="Jan Kowalski")).outcome == "approved"


def test_a_card_payment_with_a_card_number_typed_in_never_reaches_the_terminal(tmp_path, keys, zvt_sim):  # noqa: F811
    opened = AgentService.open(load(write_config(tmp_path, keys, device=zvt_sim.device)), backoff=Backoff(0.05, 0.5))
    try:
        outcome = opened.pay(PaymentRequest(4500, "EUR", "card", {"format": "case", "value": "WAW/77"},
                                            case_ref="WAW/77", payer_name="5555-5555-5555-4444"))
        assert (outcome.outcome, outcome.field) == ("refused", "payer_name")
        assert zvt_sim.charges() == [] and opened.recent_payments() == []
        assert_no_card_number(opened, "5555555555554444")
    finally:
        opened.close()


def _notice_in_a_card_range() -> str:
    """A genuine pagoPA notice (aux 3, mod-93 check digits right) that also passes Luhn in the Diners range."""
    for base in range(10**12, 10**12 + 1000):
        notice = pagopa.generate(3, f"{base:013d}", segregation_code="01")
        if card_numbers.is_card_number(notice):
            return notice
    raise AssertionError("no notice number in a card range found")


def test_a_valid_pagopa_notice_that_looks_like_a_card_still_pays(service):
    notice = _notice_in_a_card_range()
    assert card_numbers.contains(notice) and pagopa.is_valid(notice)
    outcome = service.pay(cash(reference={"format": "pagopa", "value": notice}))
    assert outcome.outcome == "approved", outcome.message
    # … but the same digits as a payer's name, or as a reference not said to be a notice, are refused.
    assert service.pay(cash(payer_name=notice)).field == "payer_name"
    assert service.pay(cash(reference={"format": "case", "value": notice})).field == "reference"


def test_auth_code_and_trace_number_from_the_terminal_are_masked_in_journal_and_outbox(service):
    intent_id = str(uuid.uuid4())
    service.life.journal.begin(intent_id=intent_id, kind="payment", tender="card", amount_minor=4500,
                               currency="EUR", request={"reference": {"format": "none", "value": None}},
                               receipt_id="R-20990101-000001")
    service.life.journal.record_outcome(TerminalResult(
        intent_id, Outcome.APPROVED, "approved", 4500, "EUR", receipt_no="4111 1111 1111 1111",
        trace_no="4111-1111-1111-1111", terminal_id="T1", card_type="visa", masked_pan="************1111",
        auth_code=PAN))
    assert service.journal_entry(intent_id)["state"] == "approved" and service.outbox.depth() == 1
    stored = json.loads(service.life.journal.get(intent_id)["outcome"])
    assert stored["auth_code"] == "************1111"
    assert_no_card_number(service)


def test_diagnostics_sent_to_the_hub_mask_card_numbers(service):
    log = service.config.data_dir / "agent.log"
    log.write_text("2099-01-01 INFO driver: customer said his card is 4111 1111 1111 1111\n")
    assert service.diagnostics()["log_tail"][0].endswith("card is ************1111")
    service._note_error("terminal said: card 4111 1111 1111 1111 unreadable")   # the desk's last error
    service.commands.handle({"command": "diagnostics", "request_id": "r-1"})
    [row] = service.outbox.pending()
    assert row.type == "diagnostics.report" and b"************1111 unreadable" in row.envelope
    assert_no_card_number(service)


async def test_clerk_sees_which_field_held_the_card_number(tmp_path, mosquitto):
    service = open_ui_service(tmp_path, mosquitto.url, None, mode="clerk")
    try:
        app = CounterpayApp(service, "clerk")
        async with app.run_test(size=(160, 30)) as pilot:
            await wait_for_text(pilot, "terminal: not configured")
            await type_text(pilot, "4111 1111 1111 1111")
            await pilot.press("enter")
            await wait_for_text(pilot, "Stamp duty")
            await go_to_row(pilot, "position-table", "STAMP")
            await pilot.press("enter")
            await pilot.press("f2")
            await wait_for_text(pilot, "To pay: 17.00 EUR")
            await type_text(pilot, "20")
            await pilot.press("enter")
            text = await wait_for_text(pilot, "A card number was entered in the field “Case number”")
            assert "Refused" in text and "nothing was saved" in text
            assert "Approved" not in screen_text(app)
        assert service.recent_payments() == []
        assert_no_card_number(service)
    finally:
        service.close()
