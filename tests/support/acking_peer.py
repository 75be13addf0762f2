"""A small stand-in for the hub on the MQTT side: verifies agent events and acks them.

It is a real paho client on a real broker.  It subscribes to every agent's events,
checks each envelope's signature against a key directory that holds the agents' keys,
records what it received, and answers with a signed application ack (type 'acks',
one item with for_id = message id) on `cp/v1/agents/A/acks`, 'duplicate' for an id
seen before.
It also publishes the key directory (retained) so agents can verify its acks.

`hold_acks = True` makes it receive without acking (a hub that is down or slow).
"""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol.keys import KeyDirectory, SigningKey
from protocol.wire import WireError, decode, make, topics, verify


class AckingPeer:
    def __init__(self, port: int, keys: KeyDirectory, hub_key: SigningKey, host: str = "127.0.0.1"):
        self.port, self.host = port, host
        self.keys = keys
        self.hub_key = hub_key
        self.received: list[tuple[str, str, int, dict]] = []   # (agent, message id, seq, body) every delivery
        self.first_seen: dict[str, int] = {}                   # message id -> seq, first delivery only
        self.rejected: list[str] = []
        self.states: dict[str, dict] = {}                      # latest birth/will per agent
        self.state_history: list[dict] = []
        self.hold_acks = False
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"acking-peer-{port}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)

    def start(self) -> "AckingPeer":
        self.client.reconnect_delay_set(0.1, 1)
        # A persistent session, like the hub's: events published while the peer is away
        # (broker restart, reconnect race) wait for it at the broker.
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        self.client.connect_async(self.host, self.port, clean_start=False, properties=properties)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def publish_keys(self) -> None:
        self.client.publish(topics.KEYS, __import__("json").dumps(self.keys.to_json()), qos=1, retain=True)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        client.subscribe([(f"{topics.PREFIX}/agents/+/events", 1), (topics.ALL_STATES, 1)])
        self.publish_keys()

    def _on_message(self, client, userdata, message) -> None:
        try:
            envelope = decode(message.payload)
        except WireError as exc:
            self.rejected.append(str(exc))
            return
        if message.topic.endswith("/state"):
            with self.lock:
                self.states[envelope.agent] = {"type": envelope.type, **envelope.body}
                self.state_history.append({"agent": envelope.agent, "type": envelope.type, **envelope.body})
            return
        try:
            verify(envelope, self.keys, owner=envelope.agent)
        except WireError as exc:
            self.rejected.append(f"{envelope.id}: {exc}")
            return
        with self.lock:
            self.received.append((envelope.agent, envelope.id, envelope.seq, envelope.body))
            duplicate = envelope.id in self.first_seen
            self.first_seen.setdefault(envelope.id, envelope.seq)
        if self.hold_acks:
            return
        item = {"for_id": envelope.id, "for_seq": envelope.seq, "status": "duplicate" if duplicate else "stored"}
        ack = make(envelope.agent, 0, "acks", {"acks": [item]}, self.hub_key)
        client.publish(topics.acks(envelope.agent), ack.encode(), qos=1)

    def payments(self) -> list[str]:
        """Distinct payment ids, in the order first received."""
        with self.lock:
            seen, out = set(), []
            for _, _, _, body in self.received:
                pid = body.get("payment_id")
                if pid and pid not in seen:
                    seen.add(pid)
                    out.append(pid)
            return out
