"""The facade in-process against the ZVT/Concert simulators, mosquitto and the acking peer."""

from __future__ import annotations


import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from protocol.wire import make, topics

from agent.config import load
from agent.payments import PaymentRequest
from agent.service import AgentService
from agent.sync import Backoff

from tests.agent.conftest import AGENT_ID, TerminalSim, write_config
from tests.support.waiting import wait_until


def open_service(config_path) -> AgentService:
    return AgentService.open(load(config_path), backoff=Backoff(0.05, 0.5))


@pytest.fixture
def service_with(tmp_path, keys):
    opened = []

    def make_service(**options):
        service = open_service(write_config(tmp_path, keys, **options))
        opened.append(service)
        return service
    yield make_service
    for service in opened:
        service.close()


def card(amount: int, **fields) -> PaymentRequest:
    return PaymentRequest(amount, "EUR", "card", {"format": "case", "value": "WAW/2026/77"},
                          case_ref="WAW/2026/77", **fields)


def test_card_payment_is_committed_receipted_delivered_and_verifiable(service_with, mosquitto, peer, zvt_sim,
                                                                       tmp_path, keys):
    service = service_with(broker=mosquitto.url, device=zvt_sim.device)
    progress: list[str] = []
    outcome = service.pay(card(4500, payer_name="Anna Bērziņa", payer_id="010190-12345"), progress.append)
    assert outcome.outcome == "approved" and progress
    wait_until(lambda: peer.payments() == [outcome.payment_id], 10, "the payment at the hub")
    wait_until(lambda: service.status().outbox_depth == 0, 10, "an empty outbox")
    assert outcome.receipt_qr.encode() in (tmp_path / "receipts.bin").read_bytes()
    assert not any("672559" in line for line in outcome.receipt_lines)          # masked: last 4 only
    verdict = service.verify_receipt(outcome.receipt_qr)
    assert verdict.verdict == "valid" and verdict.amount_minor == 4500
    forged = outcome.receipt_qr[:-3] + ("000" if not outcome.receipt_qr.endswith("000") else "111")
    assert service.verify_receipt(forged).verdict in ("bad signature", "structure wrong")
    assert service.search_payers("bērz")[0]["id"] == "010190-12345"
    assert service.totals_today()["card"] == (1, 4500)
    assert service.reprint(outcome.receipt_id)[1].strip() == "PAYMENT RECEIPT (COPY)"
    from io import BytesIO
    from PIL import Image
    from pyzbar import pyzbar
    png = Image.open(BytesIO(service.receipt_png(outcome.receipt_id)))
    assert [d.data.decode() for d in pyzbar.decode(png)] == [outcome.receipt_qr]   # same signed code
    eod = service.end_of_day()
    assert (eod.terminal_count, eod.terminal_total_minor, eod.mismatch) == (1, 4500, False), eod.message


def test_end_of_day_numbers_the_batch_and_tells_the_hub_what_it_needs_to_compare(service_with, mosquitto, peer,
                                                                                zvt_sim):
    service = service_with(broker=mosquitto.url, device=zvt_sim.device)
    first, second = service.pay(card(1500)), service.pay(card(3000))
    service.pay(PaymentRequest(700, "EUR", "cash"))
    eod = service.end_of_day()
    assert (eod.terminal_count, eod.terminal_total_minor, eod.mismatch) == (2, 4500, False), eod.message
    after = service.pay(card(900))
    bodies = lambda: [body for _, _, _, body in peer.received]  # noqa: E731
    wait_until(lambda: any(b.get("payment_id") == after.payment_id for b in bodies()), 10, "the next payment")
    by_id = {b["payment_id"]: b for b in bodies() if "payment_id" in b}
    assert [by_id[o.payment_id]["card"]["batch_no"] for o in (first, second, after)] == [1, 1, 2]
    [report] = [b for b in bodies() if "batch_id" in b]
    assert (report["batch_no"], report["office"], report["payment_ids"]) == \
        (1, "Riga 1", [first.payment_id, second.payment_id])
    assert report["terminal_id"] == by_id[first.payment_id]["card"]["terminal_id"] is not None
    assert report["opened_at"] < report["closed_at"] and report["journal"]["cash"]["total_minor"] == 700
    assert sum(t["total_minor"] for t in report["per_scheme"].values()) == 4500


def test_declined_payment_gets_no_receipt_and_no_event(tmp_path, keys, service_with):
    sim = TerminalSim(tmp_path, scenario="decline")
    try:
        service = service_with(device=sim.device)
        outcome = service.pay(card(1000))
        assert outcome.outcome == "declined" and outcome.receipt_lines == []
        assert service.outbox.depth() == 0 and not (tmp_path / "receipts.bin").exists()
    finally:
        sim.stop()


def test_unplugged_terminal_is_a_clear_refusal_and_the_desk_stays_up(service_with, tmp_path):
    service = service_with(device=str(tmp_path / "ttyUSB-gone"))
    assert service.status().terminal_state == "offline"
    outcome = service.pay(card(1000))
    assert outcome.outcome == "refused" and "terminal is not available" in outcome.message
    assert service.pay(PaymentRequest(1000, "EUR", "cash", cash_given_minor=2000)).change_minor == 1000


def test_full_outbox_refuses_new_payments_and_drops_nothing(service_with):
    service = service_with(cap=3)                     # no broker: nothing leaves
    done = [service.pay(PaymentRequest(100 * n, "EUR", "cash")) for n in range(1, 4)]
    assert [o.outcome for o in done] == ["approved"] * 3
    refused = service.pay(PaymentRequest(400, "EUR", "cash"))
    assert refused.outcome == "refused" and "limit 3" in refused.message and "nothing has been lost" in refused.message
    assert service.outbox.depth() == 3 and service.status().outbox_depth == 3


def test_cash_tender_computes_change_and_refuses_too_little(service_with):
    service = service_with()
    short = service.pay(PaymentRequest(4500, "EUR", "cash", cash_given_minor=4000))
    assert short.outcome == "refused" and "less than the amount" in short.message
    paid = service.pay(PaymentRequest(4500, "EUR", "cash", cash_given_minor=5000))
    assert paid.outcome == "approved" and paid.change_minor == 500 and "5.00 EUR" in paid.message


def test_unknown_and_garbled_codes_get_a_plain_verdict(service_with):
    service = service_with()
    assert service.check_code("hello world").verdict == "unknown code"
    assert service.check_code("").verdict == "unknown code"
    assert service.check_code("RF18539007547034").verdict == "valid"
    assert service.check_code("RF19539007547034").verdict == "check digits wrong"


def test_hub_commands_replay_and_diagnostics(service_with, mosquitto, peer, keys):
    service = service_with(broker=mosquitto.url)
    paid = service.pay(PaymentRequest(700, "EUR", "cash"))
    wait_until(lambda: service.outbox.depth() == 0, 10, "an empty outbox")
    hub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub-cmd", protocol=mqtt.MQTTv5)
    hub.connect("127.0.0.1", mosquitto.port)
    hub.loop_start()
    try:
        for command in ({"request_id": "r1", "command": "replay", "from_seq": 1},
                        {"request_id": "r2", "command": "diagnostics"},
                        {"request_id": "r3", "command": "end_of_day"}):
            envelope = make(AGENT_ID, 0, "command", command, keys.hub)
            hub.publish(topics.commands(AGENT_ID), envelope.encode(), qos=1)
        wait_until(lambda: any(body.get("request_id") == "r2" for _, _, _, body in peer.received), 10,
                   "the answer to request r2 at the hub")
        deliveries = lambda: [m for _, m, _, body in peer.received if body.get("payment_id") == paid.payment_id]
        wait_until(lambda: len(deliveries()) == 2, 10, "two deliveries")
        deliveries = deliveries()
        assert len(deliveries) == 2 and len(set(deliveries)) == 1     # replayed with the same id
        report = next(body for _, _, _, body in peer.received if body.get("request_id") == "r2")
        assert report["info"]["agent_id"] == AGENT_ID and "outbox_depth" in report["info"]
        wait_until(lambda: any("batch_id" in body for _, _, _, body in peer.received), 10,
                   "a closed batch at the hub")
        eod = next(body for _, _, _, body in peer.received if "batch_id" in body)
        assert eod["journal"]["cash"] == {"count": 1, "total_minor": 700} and eod["mismatch"] is False
    finally:
        hub.loop_stop()


def test_concert_unknown_outcome_waits_for_the_operator(tmp_path, keys, service_with):
    sim = TerminalSim(tmp_path, protocol="concert", scenario="lose_answer")
    try:
        # The answer timeout is the terminal's (minutes in the field); 2 s keeps the test short.
        service = service_with(device=sim.device, protocol="concert", terminal_options="answer_timeout_s = 2")
        outcome = service.pay(card(2500))
        assert outcome.outcome == "operator_check" and outcome.operator_hint
        assert service.status().terminal_state == "unknown outcome"
        assert [p["payment_id"] for p in service.open_payments()] == [outcome.payment_id]
        assert service.outbox.depth() == 0                         # not charged as far as we know
        settled = service.resolve_operator_check(outcome.payment_id, charged=True, operator="anna")
        assert settled.outcome == "approved" and settled.receipt_qr
        assert service.outbox.depth() == 1 and service.open_payments() == []
        assert len(sim.charges()) == 1
    finally:
        sim.stop()


def test_unwritable_store_refuses_before_the_terminal_is_asked_and_keeps_the_journal(service_with, zvt_sim):
    service = service_with(device=zvt_sim.device)
    first = service.pay(card(1000))
    assert first.outcome == "approved"
    # The store turns read-only under the agent (a remounted disk); the file-level full
    # disk is proven in test_store.py.
    service.store.conn.execute("PRAGMA query_only = ON")
    refused = service.pay(card(2000))
    assert refused.outcome == "refused" and "read-only" in refused.message and "not started" in refused.message
    assert len(zvt_sim.charges()) == 1                                   # the terminal never heard of it
    service.store.conn.execute("PRAGMA query_only = OFF")
    assert service.pay(card(3000)).outcome == "approved"
    assert [p["amount_minor"] for p in service.recent_payments()] == [3000, 1000]
    assert service.outbox.depth() == 2


def test_lost_zvt_answer_is_found_by_recovery_not_by_a_second_charge(tmp_path, keys, service_with):
    sim = TerminalSim(tmp_path, scenario="lose_answer")
    try:
        service = service_with(device=sim.device, terminal_options="t4_s = 3")
        outcome = service.pay(card(3300))
        assert outcome.outcome == "approved", outcome.message
        assert len(sim.charges()) == 1 and service.outbox.depth() == 1
        entry = service.journal_entry(outcome.payment_id)
        assert entry["state"] == "approved" and entry["masked_pan"].endswith("5454")
    finally:
        sim.stop()


def test_a_dead_printer_never_loses_the_payment_and_the_receipt_comes_out_after_restart(tmp_path, keys):
    dead = 'kind = "network"\nhost = "127.0.0.1"\nport = 1'
    service = open_service(write_config(tmp_path, keys, printer=dead))
    try:
        outcome = service.pay(PaymentRequest(4500, "EUR", "cash"))
        assert outcome.outcome == "approved" and "receipt not printed" in outcome.message
        assert outcome.receipt_lines and outcome.receipt_qr               # shown on screen all the same
        assert service.outbox.depth() == 1
    finally:
        service.close()
    service = open_service(write_config(tmp_path, keys))                    # printer fixed, agent restarted
    try:
        roll = (tmp_path / "receipts.bin").read_bytes()
        assert outcome.receipt_qr.encode() in roll and outcome.receipt_id.encode() in roll
        assert service.outbox.depth() == 1                                  # still exactly once
    finally:
        service.close()
