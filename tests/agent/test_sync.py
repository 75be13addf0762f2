"""Sync against a real mosquitto and an acking peer: ack semantics, order, restarts, broadcasts."""

from __future__ import annotations

import json
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from protocol.wire import make, topics

from agent.outbox import Outbox
from agent.store import Store
from agent.sync import Backoff, SyncClient
from agent.sync import caches

from tests.agent.conftest import AGENT_ID
from tests.support.waiting import wait_until


def sync_for(store, outbox, keys, broker, **options) -> SyncClient:
    birth = lambda: {"version": "test", "mode": "cashier", "outbox_depth": outbox.depth(), "oldest_age_s": None}
    return SyncClient(store, outbox, keys.agent, AGENT_ID, broker.url, incarnation=options.pop("incarnation", 1),
                      birth_info=birth, backoff=Backoff(0.05, 0.5), **options)


def publisher(broker) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-hub-side", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "agent.db")
    yield store
    store.close()


def test_a_row_is_done_only_on_the_hubs_ack_never_on_puback(mosquitto, peer, keys, store):
    outbox = Outbox(store, AGENT_ID, keys.agent)
    rows = [outbox.append("diagnostics.report", {"info": {"n": n}}) for n in range(30)]
    peer.hold_acks = True
    sync = sync_for(store, outbox, keys, mosquitto, ack_timeout_s=1.0)
    sync.start()
    try:
        wait_until(lambda: len(peer.first_seen) == 30, 10, "all 30 messages at the peer")
        time.sleep(0.3)                       # every PUBACK is in by now
        assert outbox.depth() == 30           # ... and nothing is done
        assert [peer.first_seen[r.message_id] for r in rows] == list(range(1, 31))
        first_order = [m for _, m, _, _ in peer.received[:30]]
        assert first_order == [r.message_id for r in rows]          # published in sequence order
        peer.hold_acks = False                # the hub is back: timeouts re-send, acks arrive
        wait_until(lambda: outbox.depth() == 0, 10, "an empty outbox")
        assert {m for _, m, _, _ in peer.received} == {r.message_id for r in rows}
        assert peer.rejected == []
    finally:
        sync.stop()


def test_the_birth_is_published_again_once_the_backlog_it_reported_has_drained(mosquitto, peer, keys, store):
    outbox = Outbox(store, AGENT_ID, keys.agent)
    for n in range(25):
        outbox.append("diagnostics.report", {"info": {"n": n}})
    peer.hold_acks = True
    sync = sync_for(store, outbox, keys, mosquitto, ack_timeout_s=1.0)
    sync.start()
    try:
        wait_until(lambda: peer.states.get(AGENT_ID, {}).get("outbox_depth") == 25, 10, "a birth with depth 25")
        peer.hold_acks = False
        wait_until(lambda: outbox.depth() == 0, 10, "an empty outbox")
        wait_until(lambda: peer.states[AGENT_ID]["outbox_depth"] == 0, 5, "a new birth with depth 0")
        assert peer.states[AGENT_ID]["type"] == "birth" and peer.states[AGENT_ID]["incarnation"] == 1
    finally:
        sync.stop()


def test_after_a_restart_unacked_rows_go_out_again_with_the_same_id_and_bytes(mosquitto, peer, keys, store):
    outbox = Outbox(store, AGENT_ID, keys.agent)
    rows = [outbox.append("diagnostics.report", {"info": {"n": n}}) for n in range(5)]
    raw_seen: list[bytes] = []
    watcher = publisher(mosquitto)
    watcher.on_message = lambda c, u, m: raw_seen.append(m.payload)
    watcher.subscribe(topics.events(AGENT_ID), qos=1)
    time.sleep(0.2)
    peer.hold_acks = True
    first = sync_for(store, outbox, keys, mosquitto, incarnation=1)
    first.start()
    wait_until(lambda: len(peer.received) == 5, 10, "five messages at the peer")
    first.stop()
    peer.hold_acks = False
    second = sync_for(store, outbox, keys, mosquitto, incarnation=2)
    second.start()
    try:
        wait_until(lambda: outbox.depth() == 0, 10, "an empty outbox")
        wait_until(lambda: len(raw_seen) >= 10, 5, "ten raw messages seen")
        assert set(raw_seen) == {r.envelope for r in rows}        # byte-identical re-sends
        assert peer.states[AGENT_ID]["incarnation"] == 2 and peer.states[AGENT_ID]["type"] == "birth"
    finally:
        second.stop()
        watcher.loop_stop()


def test_broadcasts_are_cached_and_bad_ones_refused_without_stopping(mosquitto, peer, keys, store):
    outbox = Outbox(store, AGENT_ID, keys.agent)
    sync = sync_for(store, outbox, keys, mosquitto)
    hub = publisher(mosquitto)
    # The hub's published document (hub.catalogue.service.wire_document), as the hub sends it.
    catalogue = {"version": 3, "published_at": "2026-11-01T00:00:00Z", "currency": "EUR", "price_lists": [
        {"code": "VEH", "name": "Vehicles", "legal_acts": ["Reg. 123"], "positions": [
            {"code": "REG-1", "parent": None, "name": "Vehicle registration", "unit": "piece",
             "unit_price_minor": None, "vat_rate_bp": 0, "legal_act": None, "mandatory": True, "discounts": [],
             "tenders": ["card", "cash"]},
            {"code": "REG-1a", "parent": "REG-1", "name": "Plates", "unit": "piece", "unit_price_minor": 1200,
             "vat_rate_bp": 2100, "legal_act": "Reg. 124", "mandatory": False, "discounts": [],
             "tenders": ["card"]}]}]}
    hub.publish(topics.CATALOGUE, json.dumps(catalogue), qos=1, retain=True).wait_for_publish()
    sync.start()
    try:
        wait_until(lambda: len(caches.catalogue(store)) == 2, 10, "the two-position catalogue in the cache")
        parent, plates = caches.catalogue(store)
        assert (parent["unit_minor"], parent["legal_act"], parent["mandatory"]) == (0, "Reg. 123", True)
        assert (plates["parent_code"], plates["unit_minor"], plates["tenders"]) == ("REG-1", 1200, ["card"])
        wait_until(lambda: caches.cached_keys(store) is not None, 10, "the key directory in the cache")
        assert caches.cached_keys(store).get(keys.agent.kid).owner == AGENT_ID
        hub.publish(topics.CATALOGUE, b'{"positions": [{"code": "X", "name": "bad", "unit_minor": 1.5}]}', qos=1)
        hub.publish(topics.acks(AGENT_ID), b"\x00garbage", qos=1)
        wait_until(lambda: sync.last_error and "garbage" not in sync.last_error and "acks" in sync.last_error, 5,
                   "an error about the unreadable acks that does not echo them")
        assert [p["code"] for p in caches.catalogue(store)] == ["REG-1", "REG-1a"]   # old cache kept
        row = outbox.append("diagnostics.report", {"info": {}})
        sync.wake()
        wait_until(lambda: outbox.state_of(row.message_id) == "acked", 10, "the ack")    # still working
    finally:
        sync.stop()
        hub.loop_stop()


def test_acks_signed_by_someone_else_are_ignored(mosquitto, peer, keys, store):
    from protocol.keys import SigningKey
    outbox = Outbox(store, AGENT_ID, keys.agent)
    peer.hold_acks = True
    row = outbox.append("diagnostics.report", {"info": {}})
    sync = sync_for(store, outbox, keys, mosquitto)
    sync.start()
    hub = publisher(mosquitto)
    try:
        wait_until(lambda: caches.cached_keys(store) is not None and len(peer.received) == 1, 10,
                   "the cached key directory and one message at the peer")
        forged = make(AGENT_ID, 0, "acks", {"acks": [{"for_id": row.message_id, "for_seq": row.seq,
                                                      "status": "stored"}]}, SigningKey.generate())
        hub.publish(topics.acks(AGENT_ID), forged.encode(), qos=1)
        wait_until(lambda: sync.last_error is not None and "key" in sync.last_error, 5, "an error naming the key")
        assert outbox.state_of(row.message_id) == "pending"
    finally:
        sync.stop()
        hub.loop_stop()
