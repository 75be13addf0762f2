"""The desk hears the hub's order state, keeps it in SQLite and refuses what it lists: a
cancelled order's code with the reason, a notice printed before its amount changed;
offline too; and a bad or hostile order state leaves what it had."""

from __future__ import annotations

import json
import logging

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from protocol.keys import KeyDirectory, SigningKey
from protocol.qr import cp_order
from protocol.wire import WireError, make, topics
from protocol.wire.messages import OrderState, body_of, build

from agent.codes import CodeVerdict
from agent.order_checks import ORDER_CANCELLED, check_verdict
from agent.payments import PaymentRequest
from agent.store import Store, order_states
from agent.sync import caches
from agent.sync.order_state import receive
from agent.ui.i18n import Catalogue
from agent.ui.widgets.payment.receipt import refusal_text
from agent.ui.widgets.payment.verdict import verdict_text

from tests.agent.test_service import open_service
from tests.agent.conftest import write_config
from tests.support.waiting import wait_until

OFFICE = "Riga 1"          # the office of write_config's desk
CANCELLED = {"order_id": "CP0000000001", "state": "cancelled", "at": "2026-11-22T10:00:00.000Z",
             "reference": "RF75CP0000000001", "reason": "issued twice"}
CHANGED = {"order_id": "CP0000000002", "state": "changed", "at": "2026-11-22T11:00:00.000Z",
           "reference": "RF48CP0000000002", "amount_minor": 5200, "currency": "EUR"}


def document(key: SigningKey, entries: list[dict], office: str = OFFICE, time: str = "2026-11-22T12:00:00.000Z",
             sender: str = "hub") -> bytes:
    body = body_of(build(OrderState, office=office, orders=entries))
    return make(sender, 0, "order.state", body, key, time=time).encode()


def order_code(key: SigningKey, order_id: str, amount: int | None) -> str:
    return cp_order.make(cp_order.PaymentOrderCode(order_id, "WAW/2026/77", amount, "EUR", (), "Jan Kowalski",
                                                   "85010112345", "2099-12-31", key.kid), key)


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path / "agent.db")
    yield opened
    opened.close()


def test_a_verified_order_state_is_stored_whole_and_replaces_the_previous_one(store, keys):
    assert receive(store, document(keys.hub, [CANCELLED, CHANGED]), keys.directory, OFFICE) == 2
    assert order_states.find(store, order_id="CP0000000001")["reason"] == "issued twice"
    assert order_states.find(store, reference="rf48 cp00 0000 0002")["amount_minor"] == 5200
    assert receive(store, document(keys.hub, [CHANGED], time="2026-11-22T13:00:00.000Z"), keys.directory, OFFICE) == 1
    assert order_states.find(store, order_id="CP0000000001") is None       # no longer listed: no longer refused
    assert order_states.heard_at(store) == "2026-11-22T13:00:00.000Z"


@pytest.mark.parametrize("raw, reason", [
    (lambda k: document(SigningKey.generate(), [CANCELLED]), "signature_"),
    (lambda k: b'{"v": 1, "type": "order.state"', "not_json"),
    (lambda k: document(k.hub, [CANCELLED], office="Tallinn"), "wrong_office"),
    (lambda k: document(k.hub, [CANCELLED], time="2026-11-22T11:59:59.000Z"), "stale"),
    (lambda k: document(k.hub, [CANCELLED], sender="desk-2"), "wrong_sender"),
    (lambda k: make("hub", 0, "command", {"request_id": "r", "command": "diagnostics"}, k.hub).encode(), "wrong_type"),
    (lambda k: document(k.hub, [CANCELLED]).replace(b'"issued twice"', b'"issued twice","x":1'), "bad_body"),
    (lambda k: document(k.hub, [CANCELLED]) + b" " * (300 * 1024), "oversized"),
])
def test_a_bad_or_hostile_order_state_is_refused_and_the_desk_keeps_what_it_had(store, keys, raw, reason):
    receive(store, document(keys.hub, [CHANGED]), keys.directory, OFFICE)
    with pytest.raises(WireError) as refused:
        receive(store, raw(keys), keys.directory, OFFICE)
    assert refused.value.reason.startswith(reason)
    assert [r["order_id"] for r in store.query("SELECT order_id FROM order_states")] == ["CP0000000002"]
    assert order_states.heard_at(store) == "2026-11-22T12:00:00.000Z"


def test_without_the_hubs_key_an_order_state_is_not_taken(store, keys):
    only_agent = KeyDirectory()
    only_agent.add(keys.agent.public_entry("desk-1", ["event"]))
    for directory in (None, only_agent):
        with pytest.raises(WireError) as refused:
            receive(store, document(keys.hub, [CANCELLED]), directory, OFFICE)
        assert refused.value.reason == "no_hub_key"
    assert store.query("SELECT * FROM order_states") == []


def test_codes_and_typed_ids_of_listed_orders_are_refused_in_the_desks_language(store, keys):
    from agent.codes import check_order
    receive(store, document(keys.hub, [CANCELLED, CHANGED]), keys.directory, OFFICE)

    def checked(payload: str) -> CodeVerdict:
        return check_verdict(store, check_order(payload, keys.directory), payload)
    cancelled = checked(order_code(keys.hub, "CP0000000001", 4500))
    assert (cancelled.valid, cancelled.verdict) == (False, "cancelled") and "issued twice" in cancelled.errors[0]
    assert checked("CP0000000001").verdict == "cancelled"                   # the order id typed
    assert checked("RF75 CP00 0000 0001").verdict == "cancelled"           # its RF reference scanned or typed
    old = checked(order_code(keys.hub, "CP0000000002", 4500))               # printed before the change
    assert (old.valid, old.verdict) == (False, "changed") and "52.00 EUR" in old.errors[0]
    assert checked(order_code(keys.hub, "CP0000000002", 5200)).valid        # its new notice
    assert checked(order_code(keys.hub, "CP0000000003", 4500)).valid        # not listed
    for language, words in (("en", "cancelled on 2026-11-22: issued twice"), ("pl", "anulowane 2026-11-22"),
                            ("it", "annullato il 2026-11-22"), ("el", "ακυρώθηκε"), ("lv", "atcelts 2026-11-22")):
        shown = verdict_text(cancelled, Catalogue(language).t).plain
        assert words in shown and "issued twice" in shown, (language, shown)
    assert "52.00 EUR" in verdict_text(old, Catalogue("lv").t).plain and "mainīts" in verdict_text(
        old, Catalogue("lv").t).plain


def test_the_desk_refuses_a_cancelled_order_by_code_and_by_typed_id_and_still_does_after_a_restart(
        tmp_path, keys):
    config = write_config(tmp_path, keys)
    service = open_service(config)
    try:
        caches.store_keys(service.store, json.dumps(keys.directory.to_json()).encode())
        receive(service.store, document(keys.hub, [CANCELLED]), service.keys(), OFFICE)
    finally:
        service.close()
    service = open_service(config)                  # no broker at all: what it heard is in SQLite
    try:
        verdict = service.check_code(order_code(keys.hub, "CP0000000001", 4500))
        assert verdict.verdict == "cancelled" and verdict.order_state["reason"] == "issued twice"
        typed = service.pay(PaymentRequest(4500, "EUR", "cash", order_id="CP0000000001"))
        assert (typed.outcome, typed.reason, typed.field) == ("refused", ORDER_CANCELLED, "order_id")
        assert "issued twice" in refusal_text(typed, Catalogue("it").t) and service.recent_payments() == []
        by_reference = service.pay(PaymentRequest(4500, "EUR", "cash", {"format": "rf", "value": "RF75CP0000000001"}))
        assert by_reference.reason == ORDER_CANCELLED and by_reference.field == "reference"
        assert service.pay(PaymentRequest(4500, "EUR", "cash", order_id="CP0000000009")).outcome == "approved"
    finally:
        service.close()


def _hub_client(port: int) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub-order-state", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_over_mqtt_the_desk_hears_its_office_keeps_it_through_a_forgery_and_checks_one_heard_before_the_keys(
        tmp_path, keys, mosquitto, caplog):
    hub = _hub_client(mosquitto.port)
    try:
        # Retained before the desk ever connected, and before any key directory: kept until one arrives.
        hub.publish(topics.order_state(OFFICE), document(keys.hub, [CANCELLED]), qos=1, retain=True).wait_for_publish(5)
        hub.publish(topics.order_state("Tallinn"), document(keys.hub, [CHANGED], office="Tallinn"), qos=1,
                    retain=True).wait_for_publish(5)
        service = open_service(write_config(tmp_path, keys, broker=mosquitto.url))
        try:
            code = order_code(keys.hub, "CP0000000001", 4500)
            wait_until(lambda: service.status().online, 10, "the desk online")
            assert service.store.query("SELECT * FROM order_states") == []
            hub.publish(topics.KEYS, json.dumps(keys.directory.to_json()), qos=1, retain=True)
            wait_until(lambda: service.check_code(code).verdict == "cancelled", 10, "the cancellation heard")
            assert order_states.find(service.store, order_id="CP0000000002") is None   # another office's

            with caplog.at_level(logging.WARNING, logger="counterpay.agent.sync"):
                hub.publish(topics.order_state(OFFICE), document(SigningKey.generate(), [],
                            time="2026-11-23T00:00:00.000Z"), qos=1).wait_for_publish(5)
                wait_until(lambda: "dropped a message on cp/v1/broadcast/orders/Riga%201" in caplog.text, 10,
                           "the forged order state refused with a log line")
            assert service.check_code(code).verdict == "cancelled"
        finally:
            service.close()
    finally:
        hub.disconnect()
        hub.loop_stop()
