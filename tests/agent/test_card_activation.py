"""The desk takes cards only for the service steps the hub activated for its office: the signed,
retained card.activation is checked and kept in SQLite (through a restart, offline), a payment of
positions or of a scanned order for any other step is refused by card with the reason, cash is not;
and a bad or hostile document leaves what the desk had."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from protocol.keys import SigningKey
from protocol.qr import cp_order
from protocol.wire import WireError, make
from protocol.wire.messages import CardActivation, body_of, build

from agent.card_checks import CARD_CONTRACT_ENDED, CARD_NOT_ACTIVE, CARD_NOT_HEARD, refusal, steps_of
from agent.payments import PaymentRequest
from agent.store import Store, card_activations
from agent.sync import caches
from agent.sync.card_activation import receive
from agent.ui.i18n import Catalogue
from agent.ui.widgets.payment.receipt import refusal_text

from tests.agent.conftest import write_config
from tests.agent.test_service import open_service

OFFICE = "Riga 1"
CATALOGUE = {"version": 3, "currency": "EUR", "price_lists": [
    {"code": "VEH", "name": "Vehicles", "positions": [{"code": "REG-1", "name": "Registration",
                                                       "unit_price_minor": 4500}]},
    {"code": "DL", "name": "Driving licences", "positions": [{"code": "DL-1", "name": "Licence",
                                                              "unit_price_minor": 3000},
                                                             {"code": "SHARED", "name": "Photo", "unit_price_minor": 500}]},
    {"code": "ID", "name": "Identity", "positions": [{"code": "SHARED", "name": "Photo", "unit_price_minor": 500}]},
]}


def document(key: SigningKey, services: list[str], *, office: str = OFFICE, time: str = "2026-11-22T12:00:00.000Z",
             valid_to: str | None = None, sender: str = "hub") -> bytes:
    body = body_of(build(CardActivation, office=office, active=[
        {"service": s, "since": "2026-11-20T09:00:00Z", "contract_valid_to": valid_to} for s in services]))
    return make(sender, 0, "card.activation", body, key, time=time).encode()


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path / "agent.db")
    caches.store_catalogue(opened, json.dumps(CATALOGUE).encode())
    yield opened
    opened.close()


def test_a_desk_that_never_heard_refuses_cards_for_catalogue_steps_and_leaves_other_payments_alone(store):
    assert refusal(store, ["REG-1"]).reason == CARD_NOT_HEARD
    assert refusal(store, []) is None and refusal(store, ["NOT-IN-CATALOGUE"]) is None


def test_only_active_steps_take_cards_and_a_shared_position_needs_every_step_it_is_in(store, keys):
    receive(store, document(keys.hub, ["VEH", "DL"]), keys.directory, OFFICE)
    assert refusal(store, ["REG-1"]) is None and refusal(store, ["REG-1", "DL-1"]) is None
    assert steps_of(store, ["SHARED"]) == ["DL", "ID"]
    refused = refusal(store, ["SHARED"])
    assert (refused.reason, refused.details) == (CARD_NOT_ACTIVE, {"service": "ID"})
    assert "service step ID" in refused.message


def test_the_contracts_last_day_is_kept_so_an_offline_desk_stops_the_day_after(store, keys):
    receive(store, document(keys.hub, ["VEH"], valid_to="2026-12-31"), keys.directory, OFFICE)
    assert refusal(store, ["REG-1"], dt.date(2026, 12, 31)) is None
    ended = refusal(store, ["REG-1"], dt.date(2027, 1, 1))
    assert (ended.reason, ended.details) == (CARD_CONTRACT_ENDED, {"service": "VEH", "date": "2026-12-31"})


def test_a_new_document_replaces_the_set_and_an_older_one_is_refused(store, keys):
    receive(store, document(keys.hub, ["VEH"]), keys.directory, OFFICE)
    receive(store, document(keys.hub, [], time="2026-11-22T13:00:00.000Z"), keys.directory, OFFICE)
    assert refusal(store, ["REG-1"]).reason == CARD_NOT_ACTIVE
    with pytest.raises(WireError) as stale:
        receive(store, document(keys.hub, ["VEH"]), keys.directory, OFFICE)
    assert stale.value.reason == "stale" and card_activations.active(store) == {}


@pytest.mark.parametrize("make_raw, reason", [
    (lambda k: document(SigningKey.generate(), ["VEH"], time="2026-11-23T00:00:00.000Z"), "signature_unknown_key"),
    (lambda k: document(k.hub, ["VEH"], office="Tallinn", time="2026-11-23T00:00:00.000Z"), "wrong_office"),
    (lambda k: document(k.agent, ["VEH"], sender="riga-desk-01", time="2026-11-23T00:00:00.000Z"), "wrong_sender"),
    (lambda k: b"{not json", "not_json"),
    (lambda k: make("hub", 0, "card.activation", {"office": OFFICE, "active": [{"service": "VEH"}]}, k.hub).encode(),
     "bad_body"),
    (lambda k: make("hub", 0, "card.activation", {"office": OFFICE, "active": [
        {"service": "VEH", "since": "x"}, {"service": "VEH", "since": "y"}]}, k.hub).encode(), "bad_body"),
    (lambda k: make("hub", 0, "card.activation", {"office": OFFICE, "active": [
        {"service": "VEH", "since": "x", "contract_valid_to": "31.12.2026"}]}, k.hub).encode(), "bad_body"),
])
def test_a_bad_or_hostile_document_is_refused_and_the_desk_keeps_what_it_had(store, keys, make_raw, reason):
    receive(store, document(keys.hub, ["VEH"]), keys.directory, OFFICE)
    with pytest.raises(WireError) as refused:
        receive(store, make_raw(keys), keys.directory, OFFICE)
    assert refused.value.reason == reason
    assert list(card_activations.active(store)) == ["VEH"]


def test_without_the_hubs_key_a_document_is_not_taken(store, keys):
    with pytest.raises(WireError) as refused:
        receive(store, document(keys.hub, ["VEH"]), None, OFFICE)
    assert refused.value.reason == "no_hub_key" and card_activations.heard_at(store) is None


def _order_code(key: SigningKey, order_id: str, positions: tuple[str, ...]) -> str:
    return cp_order.make(cp_order.PaymentOrderCode(order_id, "WAW/2026/77", 4500, "EUR", positions, "Jan Kowalski",
                                                   "85010112345", "2099-12-31", key.kid), key)


def test_the_desk_refuses_a_card_payment_of_a_step_not_active_offline_and_after_a_restart(tmp_path, keys):
    config = write_config(tmp_path, keys)
    service = open_service(config)
    try:
        caches.store_keys(service.store, json.dumps(keys.directory.to_json()).encode())
        caches.store_catalogue(service.store, json.dumps(CATALOGUE).encode())
        receive(service.store, document(keys.hub, ["DL"]), service.keys(), OFFICE)
    finally:
        service.close()
    service = open_service(config)                  # no broker: what the desk heard is in SQLite
    try:
        positions = [{"code": "REG-1", "name": "Registration", "quantity": 1, "unit_minor": 4500}]
        refused = service.pay(PaymentRequest(4500, "EUR", "card", {"format": "case", "value": "C-1"},
                                             case_ref="C-1", positions=positions))
        assert (refused.outcome, refused.reason, refused.details) == ("refused", CARD_NOT_ACTIVE, {"service": "VEH"})
        for language, words in (("en", "not active for service step VEH"), ("pl", "kroku usługi VEH"),
                                ("it", "passo di servizio VEH"), ("el", "βήμα υπηρεσίας VEH"),
                                ("lv", "pakalpojuma solim VEH")):
            assert words in refusal_text(refused, Catalogue(language).t), language
        cash = service.pay(PaymentRequest(4500, "EUR", "cash", {"format": "case", "value": "C-1"}, case_ref="C-1",
                                          positions=positions))
        assert cash.outcome == "approved"
        # An order scanned at the cash point is for the steps of its positions, as its signed code lists them.
        verdict = service.check_code(_order_code(keys.hub, "CP0000000007", ("REG-1",)))
        assert verdict.valid and service.card_refusal([], verdict.order_id)["reason"] == CARD_NOT_ACTIVE
        by_order = service.pay(PaymentRequest(4500, "EUR", "card", dict(verdict.reference), order_id="CP0000000007"))
        assert (by_order.outcome, by_order.reason) == ("refused", CARD_NOT_ACTIVE)
        # An active step passes the check; this desk has no terminal, which is the next refusal.
        assert service.card_refusal(["DL-1"]) is None
        licence = service.pay(PaymentRequest(3000, "EUR", "card", {"format": "case", "value": "C-2"},
                                             positions=[{"code": "DL-1", "name": "Licence", "unit_minor": 3000}]))
        assert licence.reason is None and "no card terminal" in licence.message
        assert [p["tender"] for p in service.recent_payments()] == ["cash"]
    finally:
        service.close()


def test_over_mqtt_a_set_heard_before_the_keys_is_checked_once_they_come_and_a_forgery_is_dropped(
        tmp_path, keys, mosquitto):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from protocol.wire import topics
    from tests.support.waiting import wait_until
    hub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub-card-activation", protocol=mqtt.MQTTv5)
    hub.connect("127.0.0.1", mosquitto.port)
    hub.loop_start()
    try:
        hub.publish(topics.CATALOGUE, json.dumps(CATALOGUE), qos=1, retain=True).wait_for_publish(5)
        hub.publish(topics.card_activation(OFFICE), document(keys.hub, ["VEH"]), qos=1,
                    retain=True).wait_for_publish(5)
        service = open_service(write_config(tmp_path, keys, broker=mosquitto.url))
        try:
            wait_until(lambda: service.status().online and len(service.catalogue()) == 4, 10, "the desk online")
            assert card_activations.heard_at(service.store) is None      # no key to check it with yet
            hub.publish(topics.KEYS, json.dumps(keys.directory.to_json()), qos=1, retain=True)
            wait_until(lambda: service.card_refusal(["REG-1"]) is None, 10, "the held set checked and taken")
            hub.publish(topics.card_activation(OFFICE), document(SigningKey.generate(), [],
                        time="2026-11-23T00:00:00.000Z"), qos=1).wait_for_publish(5)
            wait_until(lambda: "dropped a message on cp/v1/broadcast/cards/Riga%201" in (service.status().last_error
                                                                                        or ""), 10, "the forgery")
            assert service.card_refusal(["REG-1"]) is None
        finally:
            service.close()
    finally:
        hub.disconnect()
        hub.loop_stop()
