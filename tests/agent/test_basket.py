"""Payments made from fee positions at the desk, against a real SQLite store with the catalogue
cached as the hub broadcasts it (shared and the office's own): prices, discounts with their reason,
mandatory positions, the handling fee with the payment or apart in cash, the amount computed (never
typed), the receipt's language, and what the payment.captured event carries."""

from __future__ import annotations

import json

import pytest

from protocol.wire import decode
from protocol.wire.messages import PaymentCaptured, validate_body

from agent.config import PrinterConfig, TerminalConfig
from agent.journal import SqliteJournal
from agent.outbox import Outbox
from agent.payments import PaymentLife, PaymentRequest
from agent.receipts import ReceiptPrinter
from agent.store import Store, card_activations
from agent.sync import caches
from agent.terminal.base import EndOfDayResult, Intent, Outcome, TerminalDriver, TerminalResult, TerminalStatus
from agent.terminal.session import TerminalSession

from tests.agent.conftest import AGENT_ID

SHARED = {"version": 4, "currency": "EUR", "price_lists": [
    {"code": "VEH", "name": "Vehicle registration", "service_step": 2, "legal_acts": ["MK 1234 §5"], "positions": [
        {"code": "REG", "name": "Registration", "unit_price_minor": 5000, "vat_rate_bp": 0, "mandatory": True,
         "legal_act": "MK 1234 §5", "notes": "Once per vehicle"},
        {"code": "PLATE", "name": "Plates", "unit_price_minor": 3100, "vat_rate_bp": 2100,
         "discounts": [{"name": "Senior", "percent_bp": 5000}, {"name": "Fixed", "amount_minor": 10_000}]}]},
    {"code": "CERT", "name": "Certificates", "service_step": 1, "positions": [
        {"code": "C1", "name": "Certificate", "unit_price_minor": 800, "vat_rate_bp": 2100}]}],
    "handling_fees": [{"price_list": "VEH", "fixed_minor": 5, "percent_bp": 99, "tenders": ["card"]}]}
OFFICE = {"version": 7, "office": "Riga 1", "currency": "EUR", "price_lists": [], "handling_fees": [
    {"price_list": "VEH", "fixed_minor": 100, "tenders": ["card"], "collect": "apart", "name": "Komisija"}]}


class ApprovingTerminal(TerminalDriver):
    protocol = "scripted"

    def pay(self, intent: Intent) -> TerminalResult:
        self.journal.record_intent(intent)
        self.charged = intent.amount_minor
        return TerminalResult(intent.intent_id, Outcome.APPROVED, "approved", intent.amount_minor, intent.currency,
                              receipt_no="0007", masked_pan="************1234", card_type="Visa")

    def recover(self, intent):
        raise AssertionError("never asked")

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


class Session(TerminalSession):
    def __init__(self, journal):
        super().__init__(TerminalConfig("scripted", "nowhere"), journal)
        self.scripted = ApprovingTerminal(journal)

    def driver(self, quiet: bool = False):
        return self.scripted


@pytest.fixture
def desk(tmp_path, keys):
    store = Store.open(tmp_path / "agent.db")
    caches.store_catalogue(store, json.dumps(SHARED).encode())
    # Both service steps take cards (the hub's card.activation, as tests/agent/test_card_activation.py keeps it).
    card_activations.replace(store, [{"service": code, "since": "2026-11-20T09:00:00Z"} for code in ("VEH", "CERT")],
                             heard_at="2026-11-22T12:00:00.000Z")
    journal = SqliteJournal(store)
    life = PaymentLife(store, Outbox(store, AGENT_ID, keys.agent), keys.agent, journal=journal,
                       terminal=Session(journal), agent_id=AGENT_ID, office="Riga 1",
                       printer=ReceiptPrinter(PrinterConfig("file", str(tmp_path / "receipts.bin"))),
                       tenders=["card", "cash"], language="lv")
    yield life
    store.close()


def _event(life: PaymentLife, keys) -> dict:
    raw = life.store.query("SELECT envelope FROM outbox ORDER BY seq DESC LIMIT 1")[0]["envelope"]
    envelope = decode(bytes(raw))
    return validate_body(envelope.type, envelope.body)


def _request(tender: str, positions: list[dict], amount: int | None = None, **more) -> PaymentRequest:
    return PaymentRequest(amount_minor=amount, currency="EUR", tender=tender,
                          reference={"format": "case", "value": "C-1"}, case_ref="C-1", positions=positions, **more)


def test_the_amount_is_computed_from_the_catalogue_with_the_discount_and_the_fee(desk, keys):
    outcome = desk.take(_request("card", [{"code": "REG", "quantity": 1},
                                          {"code": "PLATE", "quantity": 2, "unit_minor": 1,   # a typed price is ignored
                                           "discount": {"name": "Senior", "reason": "card 778"}}]))
    assert outcome.outcome == "approved", outcome.message
    # 50.00 + 2 × 31.00 − 50 % of 62.00 = 81.00; fee 0.99 % + 0.05 = 0.80 + 0.05 = 0.85 with the payment
    assert desk.terminal.scripted.charged == 8185
    event = _event(desk, keys)
    assert event.amount_minor == 8185 and event.handling_fee.amount_minor == 85 and event.handling_fee.tender == "card"
    plate = event.positions[1]
    assert (plate.unit_minor, plate.discount.name, plate.discount.reason, plate.discount.amount_minor) == \
        (3100, "Senior", "card 778", 3100)
    assert event.language == "lv"
    text = "\n".join(outcome.receipt_lines)
    assert "Atlaide: Senior" in text and "Pamatojums: card 778" in text and "Komisijas maksa" in text
    assert "KOPĀ" in text and "81,85 EUR" in text


def test_a_discount_the_catalogue_does_not_list_or_without_its_reason_is_refused(desk):
    for discount, reason in (({"name": "Friends", "reason": "x"}, "basket.discount_unknown"),
                             ({"name": "Senior", "reason": "  "}, "basket.discount_reason_missing")):
        outcome = desk.take(_request("cash", [{"code": "REG"}, {"code": "PLATE", "discount": discount}]))
        assert (outcome.outcome, outcome.reason, outcome.field) == ("refused", reason, "positions")
    assert desk.store.query("SELECT count(*) AS n FROM journal")[0]["n"] == 0


def test_a_mandatory_position_cannot_be_left_out(desk):
    outcome = desk.take(_request("cash", [{"code": "PLATE"}]))
    assert (outcome.outcome, outcome.reason, outcome.details["code"]) == ("refused", "basket.mandatory_missing", "REG")
    assert "mandatory" in outcome.message
    assert desk.take(_request("cash", [{"code": "C1"}])).outcome == "approved"     # another list: nothing mandatory


def test_an_amount_typed_unlike_the_positions_is_refused(desk):
    outcome = desk.take(_request("cash", [{"code": "REG"}], amount=4999))
    assert (outcome.outcome, outcome.reason) == ("refused", "basket.amount_differs")


def test_the_offices_rule_takes_the_fee_apart_in_cash_and_the_card_is_charged_without_it(desk, keys):
    caches.store_catalogue(desk.store, json.dumps(OFFICE).encode(), caches.OFFICE)
    outcome = desk.take(_request("card", [{"code": "REG"}], amount=5000))
    assert outcome.outcome == "approved" and desk.terminal.scripted.charged == 5000
    event = _event(desk, keys)
    assert (event.amount_minor, event.handling_fee.amount_minor, event.handling_fee.tender,
            event.handling_fee.name) == (5000, 100, "cash", "Komisija")
    text = "\n".join(outcome.receipt_lines)
    assert "Komisija" in text and "samaksāta atsevišķi skaidrā naudā" in text


def test_cash_pays_no_card_fee_and_the_kiosk_citizens_language_prints(desk, keys):
    outcome = desk.take(_request("cash", [{"code": "REG"}], language="el", cash_given_minor=6000))
    assert outcome.outcome == "approved" and outcome.change_minor == 1000
    event = _event(desk, keys)
    assert event.handling_fee is None and event.amount_minor == 5000 and event.language == "el"
    assert "ΑΠΟΔΕΙΞΗ ΠΛΗΡΩΜΗΣ" in outcome.receipt_lines[1]
    # The reprint keeps the language the payment was taken in.
    row = desk.journal.get(outcome.payment_id)
    assert "ΑΠΟΔΕΙΞΗ ΠΛΗΡΩΜΗΣ" in desk.receipt_lines(row, copy=True)[0][1]


def test_the_cache_keeps_discounts_notes_service_steps_and_orders_by_step(desk):
    positions = caches.catalogue(desk.store)
    assert [p["code"] for p in positions] == ["C1", "REG", "PLATE"]          # step 1 before step 2
    reg = positions[1]
    assert (reg["notes"], reg["legal_act"], reg["service_step"], reg["mandatory"]) == \
        ("Once per vehicle", "MK 1234 §5", 2, True)
    assert positions[2]["discounts"] == [{"name": "Senior", "percent_bp": 5000}, {"name": "Fixed", "amount_minor": 10000}]


def test_an_office_list_replaces_the_shared_list_of_its_code_and_each_scope_updates_alone(desk):
    own = {"version": 8, "price_lists": [{"code": "VEH", "name": "Our registration", "positions": [
        {"code": "REG2", "name": "Registration (office)", "unit_price_minor": 4500}]}]}
    caches.store_catalogue(desk.store, json.dumps(own).encode(), caches.OFFICE)
    assert [p["code"] for p in caches.catalogue(desk.store)] == ["C1", "REG2"]
    caches.store_catalogue(desk.store, json.dumps(SHARED).encode())           # a new shared version
    assert [p["code"] for p in caches.catalogue(desk.store)] == ["C1", "REG2"]
    caches.store_catalogue(desk.store, b"", caches.OFFICE)                  # the office withdrew its own
    assert [p["code"] for p in caches.catalogue(desk.store)] == ["C1", "REG", "PLATE"]


@pytest.mark.parametrize("document", [
    {"price_lists": [], "handling_fees": [{"fixed_minor": 5}]},
    {"price_lists": [], "handling_fees": "x"},
    {"price_lists": [{"code": "A", "positions": [{"code": "A", "name": "a", "unit_price_minor": 1,
                                                   "discounts": [{"name": "d", "percent_bp": 20000}]}]}]},
])
def test_a_bad_rule_or_discount_is_refused_and_the_previous_cache_stays(desk, document):
    with pytest.raises(caches.CacheError):
        caches.store_catalogue(desk.store, json.dumps(document).encode(), caches.OFFICE)
    assert [p["code"] for p in caches.catalogue(desk.store)] == ["C1", "REG", "PLATE"]


def test_the_wire_refuses_totals_that_do_not_add_up():
    body = {"payment_id": "p", "receipt_id": "r", "office": "o", "amount_minor": 8185, "currency": "EUR",
            "tender": "card", "reference": {"format": "none"}, "captured_at": "2026-11-22T10:00:00Z",
            "positions": [{"code": "A", "quantity": 2, "unit_minor": 5000,
                           "discount": {"name": "d", "reason": "r", "amount_minor": 1900}}],
            "handling_fee": {"amount_minor": 85, "tender": "card"}}
    assert validate_body("payment.captured", body).amount_minor == 8185
    from protocol.wire import WireError
    for change in ({"amount_minor": 8100},
                   {"handling_fee": {"amount_minor": 85, "tender": "cash"}},
                   {"positions": [{"code": "A", "unit_minor": 5000, "discount": {"name": "d", "reason": "r",
                                                                                  "amount_minor": 5001}}]},
                   {"positions": [{"code": "A", "unit_minor": 5000, "discount": {"name": "d", "reason": "",
                                                                                  "amount_minor": 1}}]}):
        with pytest.raises(WireError):
            validate_body("payment.captured", body | change)
    assert PaymentCaptured  # the schema the hub validates with is the same class


@pytest.mark.parametrize("pick", [{"quantity": 1}, {"code": "REG", "quantity": "2"}, {"code": "REG", "quantity": 0},
                                  {"code": "X", "unit_minor": -5}, {"code": "REG", "discount": "Senior"}, "REG"])
def test_a_malformed_pick_is_refused_before_anything_is_recorded(desk, pick):
    outcome = desk.take(_request("cash", [pick], amount=5000))
    assert (outcome.outcome, outcome.reason, outcome.field) == ("refused", "basket.pick_invalid", "positions")
    assert desk.store.query("SELECT count(*) AS n FROM journal")[0]["n"] == 0
