"""Voids and refunds at the counter on the real service: the ZVT and Concert simulators over a
pty, a supervisor's login from the roster, mosquitto and the acking peer for the events."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher

from protocol.wire.messages import validate_body

from agent.store import desk_operators
from agent.voids import UndoRequest

from tests.agent.conftest import TerminalSim
from tests.agent.test_service import card, service_with  # noqa: F401 - the fixture
from tests.support.waiting import wait_until

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
SAM = {"username": "sam", "role": "supervisor", "verifier": FAST.hash("731904"), "changed_at": "2026-12-01T08:00:00Z"}
ANNA = {"username": "anna", "role": "desk", "verifier": FAST.hash("492817"), "changed_at": "2026-12-01T08:00:00Z"}


def with_roster(service):
    desk_operators.replace(service.store, [SAM, ANNA], "2026-12-04T08:00:00.000Z")
    return service


def void(receipt_id: str, secret: str = "731904", supervisor: str = "sam", **fields) -> UndoRequest:
    return UndoRequest(receipt_id, fields.pop("reason", "wrong amount typed"), supervisor, secret, **fields)


def events(service, type_: str) -> list[dict]:
    rows = service.store.query("SELECT envelope FROM outbox WHERE type = ?", (type_,))
    return [json.loads(bytes(r["envelope"]))["body"] for r in rows]


def test_a_void_reverses_once_prints_a_void_receipt_and_reaches_the_hub(service_with, mosquitto, peer,  # noqa: F811
                                                                         zvt_sim, tmp_path):
    service = with_roster(service_with(broker=mosquitto.url, device=zvt_sim.device))
    paid = service.pay(card(4500, operator="anna"))
    assert paid.outcome == "approved"
    outcome = service.undo(void(paid.receipt_id, operator="anna"))
    assert outcome.outcome == "approved", outcome.message
    reversals = [r for r in zvt_sim.charges() if r["kind"] == "reversal"]
    assert len(reversals) == 1                                       # the terminal reversed it, once
    original_receipt_no = service.life.journal.get(paid.payment_id)["outcome"]
    assert str(reversals[0]["reverses"]) == str(json.loads(original_receipt_no)["receipt_no"]).lstrip("0")
    assert outcome.receipt_lines[1].strip() == "VOID RECEIPT"
    text = "\n".join(outcome.receipt_lines)
    assert paid.receipt_id in text and "Approved by" in text and "sam" in text and "-45.00" in text
    assert b"VOID RECEIPT" in (tmp_path / "receipts.bin").read_bytes()
    (voided,) = events(service, "payment.voided")
    assert validate_body("payment.voided", voided)
    assert (voided["payment_id"], voided["operator"], voided["approved_by"]) == (paid.payment_id, "anna", "sam")
    assert voided["receipt_id"] == outcome.receipt_id and voided["reason"] == "wrong amount typed"
    wait_until(lambda: any("voided_at" in body for *_, body in peer.received), 10, "the void at the hub")
    assert peer.payments() == [paid.payment_id]
    assert {body["approved_by"] for *_, body in peer.received if "voided_at" in body} == {"sam"}
    # The day's totals net the reversal out, as the terminal does.
    assert service.totals_today()["card"] == (0, 0)
    eod = service.end_of_day()
    assert (eod.terminal_count, eod.terminal_total_minor, eod.mismatch) == (0, 0, False), eod.message


def test_a_second_void_is_refused_with_the_reason_and_nothing_is_sent(service_with, zvt_sim):  # noqa: F811
    service = with_roster(service_with(device=zvt_sim.device))
    paid = service.pay(card(1200))
    first = service.undo(void(paid.receipt_id))
    assert first.outcome == "approved", first.message
    again = service.undo(void(paid.payment_id))                  # by payment id this time
    assert (again.outcome, again.reason) == ("refused", "already_voided")
    assert first.receipt_id in again.message and "sam" in again.message
    refund = service.undo(void(paid.receipt_id, kind="refund"))  # nothing left to refund either
    assert refund.outcome == "refused"
    assert len([r for r in zvt_sim.charges() if r["kind"] == "reversal"]) == 1
    assert len(events(service, "payment.voided")) == 1


@pytest.mark.parametrize("supervisor, secret, refused", [("sam", "000000", "wrong"), ("anna", "492817", "role"),
                                                         ("nobody", "731904", "wrong")])
def test_only_a_supervisors_right_login_approves(service_with, zvt_sim, supervisor, secret, refused):  # noqa: F811
    service = with_roster(service_with(device=zvt_sim.device))
    paid = service.pay(card(800))
    outcome = service.undo(void(paid.receipt_id, secret, supervisor))
    assert (outcome.outcome, outcome.reason, outcome.details["refused"]) == ("refused", "approval_refused", refused)
    assert [r for r in zvt_sim.charges() if r["kind"] == "reversal"] == []
    assert service.life.journal.undoing(paid.payment_id) == []          # nothing journaled


def test_a_supervisor_locked_out_after_wrong_tries_cannot_approve_even_with_the_right_pin(service_with,  # noqa: F811
                                                                                          zvt_sim):
    service = with_roster(service_with(device=zvt_sim.device))
    paid = service.pay(card(800))
    for _ in range(5):
        service.undo(void(paid.receipt_id, "111111"))
    locked = service.undo(void(paid.receipt_id))
    assert locked.reason == "approval_refused" and locked.details["refused"] == "locked"
    assert locked.details["wait_s"] > 0 and zvt_sim.charges()[-1]["kind"] == "payment"


def test_refusals_say_what_is_wrong(service_with, zvt_sim):  # noqa: F811
    service = with_roster(service_with(device=zvt_sim.device))
    cash = service.pay(PaymentRequest_cash(900))
    assert service.undo(void(cash.receipt_id)).reason == "not_card"
    assert service.undo(void("R-20000101-000001")).reason == "not_found"
    paid = service.pay(card(900))
    assert service.undo(void(paid.receipt_id, reason=" ")).field == "reason"
    too_much = service.undo(void(paid.receipt_id, kind="refund", amount_minor=901))
    assert too_much.reason == "refund_too_large" and "900" in too_much.message
    service.end_of_day()                                   # the batch is closed: a reversal is no longer possible
    closed = service.undo(void(paid.receipt_id))
    assert closed.reason == "batch_closed" and "refund" in closed.message


def PaymentRequest_cash(amount: int):
    from agent.payments import PaymentRequest
    return PaymentRequest(amount, "EUR", "cash")


def test_refunds_pay_back_part_then_the_rest_and_go_to_the_hub_as_refunds(service_with, zvt_sim):  # noqa: F811
    service = with_roster(service_with(device=zvt_sim.device))
    paid = service.pay(card(5000, order_id="ORD-1"))
    service.end_of_day()                                   # yesterday's payment: refunds work any day
    today = service.pay(card(6000))
    part = service.undo(void(paid.receipt_id, kind="refund", amount_minor=2000, reason="one copy not issued"))
    assert part.outcome == "approved", part.message
    assert part.receipt_lines[1].strip() == "REFUND RECEIPT"
    rest = service.undo(void(paid.receipt_id, kind="refund"))
    assert rest.outcome == "approved"
    refunds = [r for r in zvt_sim.charges() if r["kind"] == "refund"]
    assert [r["amount_minor"] for r in refunds] == [2000, 3000]
    bodies = [b for b in events(service, "payment.captured") if b["kind"] == "refund"]
    assert all(validate_body("payment.captured", b) for b in bodies)
    assert [(b["refund_of"], b["order_id"], b["approved_by"]) for b in bodies] == [(paid.payment_id, "ORD-1", "sam")] * 2
    assert service.undo(void(paid.receipt_id, kind="refund", amount_minor=1)).reason == "refund_too_large"
    assert service.totals_today()["card"] == (2, 6000)           # today's payments less the refunds
    eod = service.end_of_day()                                   # the batch of the refunds and of `today`
    assert (eod.terminal_count, eod.terminal_total_minor, eod.journal_count, eod.journal_total_minor,
            eod.mismatch) == (1, 1000, 1, 1000, False), eod.message
    assert today.outcome == "approved"


def test_a_lost_reversal_answer_is_found_by_status_enquiry_never_sent_twice(service_with, tmp_path):  # noqa: F811
    scenario = tmp_path / "void_lost.toml"
    scenario.write_text('name = "void_lost"\n[[steps]]\naction = "approve"\ntimes = 1\n'
                        '[[steps]]\naction = "lose_answer"\ntimes = 1\n[[steps]]\naction = "approve"\n')
    (tmp_path / "sim").mkdir()
    sim = TerminalSim(tmp_path / "sim", scenario=str(scenario))
    try:
        service = with_roster(service_with(device=sim.device, terminal_options="t4_s = 3"))
        paid = service.pay(card(3300))
        assert paid.outcome == "approved", paid.message
        outcome = service.undo(void(paid.receipt_id))
        assert outcome.outcome == "approved", outcome.message
        assert "recovered" in service.life.journal.get(outcome.payment_id)["outcome"]
        requests = [r for r in sim.records() if r.get("record") == "request" and r["kind"] == "reversal"]
        assert len(requests) == 1 and requests[0]["charged"]
        assert len(events(service, "payment.voided")) == 1
    finally:
        sim.stop()


def test_concert_cancellation_voids_the_payment(service_with, tmp_path):  # noqa: F811
    (tmp_path / "sim").mkdir()
    sim = TerminalSim(tmp_path / "sim", protocol="concert")
    try:
        service = with_roster(service_with(device=sim.device, protocol="concert"))
        paid = service.pay(card(2100))
        assert paid.outcome == "approved", paid.message
        outcome = service.undo(void(paid.receipt_id))
        assert outcome.outcome == "approved", outcome.message
        assert [r["kind"] for r in sim.charges()] == ["payment", "reversal"]
        (voided,) = events(service, "payment.voided")
        assert voided["payment_id"] == paid.payment_id
    finally:
        sim.stop()


def test_any_scripted_void_line_gets_an_answer_and_never_stops_the_desk(service_with):  # noqa: F811
    from hypothesis import HealthCheck, given, settings, strategies as st

    from agent.cli import _undo_line
    service = with_roster(service_with())
    paid = service.pay(PaymentRequest_cash(700))
    values = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15), st.text(max_size=300),
                       st.just(paid.receipt_id), st.lists(st.integers(), max_size=3))
    keys = st.sampled_from(["void", "refund", "reason", "supervisor", "secret", "amount_minor", "other"])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(keys, values, max_size=6).filter(lambda d: "void" in d or "refund" in d))
    def answer(line):
        said = _undo_line(service, line)
        assert said["event"] in ("undo", "error")
        if said["event"] == "undo":
            assert said["outcome"] == "refused" and said["message"]     # a cash payment, no terminal: never done
    answer()
    assert service.store.query("SELECT COUNT(*) AS n FROM journal WHERE undoes_intent_id IS NOT NULL")[0]["n"] == 0


def test_the_store_allows_one_reversal_of_a_payment_whoever_writes_it(tmp_path):
    from agent.journal import SqliteJournal
    from agent.store import Store, StoreError
    store = Store.open(tmp_path / "agent.db")
    try:
        journal = SqliteJournal(store)
        fields = dict(kind="reversal", tender="card", amount_minor=100, currency="EUR", request={},
                      undoes_intent_id="p-1", approved_by="sam")
        journal.begin(intent_id="v-1", receipt_id="R-1", **fields)
        with pytest.raises(StoreError, match="UNIQUE constraint failed: journal.undoes_intent_id"):
            journal.begin(intent_id="v-2", receipt_id="R-2", **fields)   # two screens at once: the second fails
        with store.transaction() as db:
            db.execute("UPDATE journal SET state = 'declined' WHERE intent_id = 'v-1'")
        journal.begin(intent_id="v-3", receipt_id="R-3", **fields)       # a declined void is no void: try again
        journal.begin(intent_id="r-1", receipt_id="R-4", **{**fields, "kind": "refund"})
        journal.begin(intent_id="r-2", receipt_id="R-5", **{**fields, "kind": "refund"})   # refunds: in parts
    finally:
        store.close()


def test_the_wire_takes_the_approver_and_refuses_what_it_cannot_hold():
    from protocol.wire import WireError
    body = {"payment_id": "p-1", "amount_minor": 100, "currency": "EUR", "reason": "x", "voided_at": "2026-12-04T10:00:00Z",
            "approved_by": "sam", "void_id": "v-1", "receipt_id": "R-20261204-000002", "operator": "anna"}
    assert validate_body("payment.voided", body).approved_by == "sam"
    with pytest.raises(WireError):
        validate_body("payment.voided", {**body, "approved_by": "s" * 65})
    with pytest.raises(WireError):
        validate_body("payment.voided", {**body, "approver": "sam"})        # unknown fields are refused


def test_a_void_that_loses_the_race_to_the_stores_index_is_refused_as_already_voided(service_with, zvt_sim):  # noqa: F811
    service = with_roster(service_with(device=zvt_sim.device))
    paid = service.pay(card(600))
    original = service.life.journal.get(paid.payment_id)
    first = service.voids._begin(void(paid.receipt_id), original, 600, "sam", "first")
    assert isinstance(first, dict)                      # journaled (checks passed before either wrote)
    second = service.voids._begin(void(paid.receipt_id), original, 600, "sam", "second")
    assert (second.outcome, second.reason) == ("refused", "already_voided")
