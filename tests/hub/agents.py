"""A small stand-in agent for hub tests: its keys, signed events, and an MQTT client.

Not the real agent (hub tests must not import agent/); just enough of the wire
contract of DESIGN.md to publish signed envelopes and collect acks and commands.
"""

from __future__ import annotations

import threading
from collections import defaultdict

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol.keys import KeyDirectory, SigningKey
from protocol.wire import Envelope, decode, make
from protocol.wire import topics


class FakeAgent:
    def __init__(self, agent_id: str, key: SigningKey | None = None):
        self.agent_id = agent_id
        self.key = key or SigningKey.generate()
        self.seq = 0

    def enroll(self, directory: KeyDirectory) -> "FakeAgent":
        directory.add(self.key.public_entry(self.agent_id, ["event", "receipt"]))
        return self

    def payment(self, amount_minor: int = 1500, *, reference: dict | None = None, payment_id: str | None = None,
                seq: int | None = None, **extra) -> Envelope:
        if seq is None:
            self.seq += 1
            seq = self.seq
        pid = payment_id or f"{self.agent_id}-p{seq}"
        body = {"payment_id": pid, "receipt_id": f"R{seq}", "office": "riga-1", "amount_minor": amount_minor,
                "currency": "EUR", "tender": "card", "reference": reference or {"format": "none"},
                "captured_at": "2026-11-22T10:00:00.000Z"} | extra
        return make(self.agent_id, seq, "payment.captured", body, self.key, message_id=f"{self.agent_id}-m{seq}")

    def void(self, payment_id: str, amount_minor: int = 1500) -> Envelope:
        self.seq += 1
        body = {"payment_id": payment_id, "amount_minor": amount_minor, "currency": "EUR",
                "reason": "clerk error", "voided_at": "2026-11-22T10:05:00.000Z"}
        return make(self.agent_id, self.seq, "payment.voided", body, self.key,
                    message_id=f"{self.agent_id}-m{self.seq}")

    def birth(self, incarnation: int, outbox_depth: int = 0) -> Envelope:
        return make(self.agent_id, 0, "birth", {"incarnation": incarnation, "version": "0.1.0",
                                                "mode": "clerk", "outbox_depth": outbox_depth,
                                                "oldest_age_s": 12 if outbox_depth else None}, self.key)

    def will(self, incarnation: int) -> Envelope:
        return make(self.agent_id, 0, "will", {"incarnation": incarnation}, self.key)


class WireClient:
    """An MQTT v5 client that publishes envelopes and records what comes back on acks/cmd."""

    def __init__(self, port: int, client_id: str, listen_agents: list[str] = ()):
        self.received: dict[str, list[bytes]] = defaultdict(list)
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.max_queued_messages_set(0)
        self.client.on_message = self._on_message
        ready = threading.Event()
        self.client.on_subscribe = lambda *_a, **_k: ready.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        subs = [(topics.acks(a), 1) for a in listen_agents] + [(topics.commands(a), 1) for a in listen_agents]
        if subs:
            self.client.subscribe(subs)
            assert ready.wait(5), "subscription not confirmed"

    def _on_message(self, _c, _u, message) -> None:
        with self.lock:
            self.received[message.topic].append(message.payload)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def send(self, envelope: Envelope) -> None:
        self.publish(topics.events(envelope.agent), envelope.encode())

    def ack_messages(self, agent_id: str) -> list[Envelope]:
        """The acks messages received for this agent (each acks one or more events)."""
        with self.lock:
            return [decode(p) for p in self.received[topics.acks(agent_id)]]

    def acks(self, agent_id: str) -> list[dict]:
        """Every ack item received for this agent ({for_id, for_seq, status}), in order."""
        return [item for message in self.ack_messages(agent_id) for item in message.body["acks"]]

    def commands(self, agent_id: str) -> list[Envelope]:
        with self.lock:
            return [decode(p) for p in self.received[topics.commands(agent_id)]]

    def raw_acks(self, agent_id: str) -> list[bytes]:
        with self.lock:
            return list(self.received[topics.acks(agent_id)])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
