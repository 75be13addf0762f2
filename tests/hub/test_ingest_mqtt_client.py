"""The ingest's paho client (hub/ingest/mqtt_client.py) skips paho's in-flight walk only
when nothing waits: messages queued behind a full in-flight window are all sent and
acknowledged, on a real mosquitto, and the walk runs exactly when something is queued."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.ingest.mqtt_client import IngestClient
from tests.support.waiting import wait_until


def _connected(client: mqtt.Client, broker) -> mqtt.Client:
    up = threading.Event()
    client.on_connect = lambda *_a: up.set()
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    assert up.wait(10), "the client did not connect to mosquitto"
    return client


def test_messages_queued_behind_a_full_window_are_all_sent(mosquitto):
    received: list[bytes] = []
    subscribed = threading.Event()
    reader = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="reader", protocol=mqtt.MQTTv5)
    reader.on_message = lambda _c, _u, message: received.append(message.payload)
    reader.on_subscribe = lambda *_a: subscribed.set()
    _connected(reader, mosquitto)
    reader.subscribe("t/acks", qos=1)
    assert subscribed.wait(10)

    writer = IngestClient(CallbackAPIVersion.VERSION2, client_id="writer", protocol=mqtt.MQTTv5)
    writer.max_inflight_messages_set(3)      # most of the 200 wait in paho's queue for a slot
    published: list[int] = []
    writer.on_publish = lambda _c, _u, mid, *_a: published.append(mid)
    _connected(writer, mosquitto)
    infos = [writer.publish("t/acks", f"m{n}".encode(), qos=1) for n in range(200)]
    try:
        wait_until(lambda: len(published) == 200, 20, "every queued message PUBACKed")
        wait_until(lambda: len(received) == 200, 20, "every queued message delivered")
        assert sorted(received) == sorted(f"m{n}".encode() for n in range(200))
        assert all(info.is_published() for info in infos)
        assert writer._inflight_messages == 0 and not writer._out_messages
    finally:
        writer.disconnect()
        writer.loop_stop()
        reader.disconnect()
        reader.loop_stop()


def test_the_walk_runs_only_while_a_message_is_queued(monkeypatch):
    walks: list[int] = []
    monkeypatch.setattr(mqtt.Client, "_update_inflight", lambda self: walks.append(1) or 0)
    client = IngestClient(CallbackAPIVersion.VERSION2, client_id="bookkeeping", protocol=mqtt.MQTTv5)
    client._out_messages = {1: object(), 2: object()}
    client._inflight_messages = 2                  # both in flight: nothing to send
    assert client._update_inflight() == 0 and walks == []
    client._inflight_messages = 1                  # one waits for a slot
    client._update_inflight()
    assert walks == [1]
