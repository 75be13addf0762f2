"""One simulated agent: its MQTT session, its simulated terminal and its unacked events.

It behaves like a real agent on the wire: retained birth with an incarnation, a will,
events signed with its own key and numbered by its own sequence, acks matched by
message id, and unacked events re-published unchanged (same id, same bytes) on every
reconnect and after `RESEND_AFTER_S` without an ack since they last went out (as the
agent's `ack_timeout_s`), never re-created.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt

from protocol import wire
from protocol.domain import ReferenceFormat, Tender
from protocol.wire import topics
from simulators.fleet.identity import FleetIdentity

RESEND_AFTER_S = 10.0
CARD_TYPES = ("girocard", "Visa", "Mastercard", "Maestro")


class SimulatedCardTerminal:
    """Approves every payment and numbers it like a terminal would (receipt, trace)."""

    def __init__(self, terminal_id: str, rng: random.Random):
        self.terminal_id = terminal_id
        self.receipt_no = 0
        self.rng = rng

    def charge(self, amount_minor: int) -> dict:
        self.receipt_no += 1
        return {"masked_pan": "************" + "".join(self.rng.choice("0123456789") for _ in range(4)),
                "card_type": self.rng.choice(CARD_TYPES), "terminal_id": self.terminal_id,
                "trace_no": str(self.receipt_no), "receipt_no": f"{self.receipt_no:04d}",
                "auth_code": f"{self.rng.randrange(10**6):06d}"}


@dataclass
class Pending:
    sent_at: float                 # created: ack latencies count from here
    payload: bytes
    resent: int = 0
    published_at: float | None = None   # last put on the wire; None while offline


@dataclass
class FleetStats:
    sent: int = 0
    acked: int = 0
    duplicate_acks: int = 0
    resent: int = 0
    rejected: int = 0
    connect_failures: int = 0
    latencies_s: list[float] = field(default_factory=list)
    sent_log: list[tuple[str, float]] = field(default_factory=list)   # (message id, wall-clock send time)


class SimulatedAgent:
    def __init__(self, identity: FleetIdentity, office: str, stats: FleetStats, rng: random.Random,
                 incarnation: int = 1, references: list[str] | None = None, case_prefix: str = "FLEET"):
        self.identity = identity
        self.office = office
        self.stats = stats
        self.rng = rng
        self.incarnation = incarnation
        self.references = references or []
        self.case_prefix = case_prefix
        self.seq = 0
        self.pending: dict[str, Pending] = {}
        self.terminal = SimulatedCardTerminal(f"T{abs(hash(identity.agent_id)) % 10**8:08d}", rng)
        self.connected = False
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=identity.agent_id,
                                  protocol=mqtt.MQTTv5)
        self.client.tls_set(ca_certs=identity.cafile, certfile=identity.certfile, keyfile=identity.keyfile)
        will = wire.make(identity.agent_id, 0, "will", {"incarnation": incarnation}, identity.signing_key)
        self.client.will_set(topics.state(identity.agent_id), will.encode(), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    @property
    def agent_id(self) -> str:
        return self.identity.agent_id

    def connect(self) -> None:
        self.client.connect(self.identity.broker_host, self.identity.broker_port, keepalive=60)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.stats.connect_failures += 1
            return
        self.connected = True
        client.subscribe(topics.acks(self.agent_id), qos=1)
        birth = wire.make(self.agent_id, 0, "birth", {"incarnation": self.incarnation, "version": "fleet-sim",
                                                      "mode": "fleet", "outbox_depth": len(self.pending),
                                                      "oldest_age_s": None}, self.identity.signing_key)
        client.publish(topics.state(self.agent_id), birth.encode(), qos=1, retain=True)
        now = time.monotonic()
        for item in self.pending.values():   # after a reconnect: same bytes again
            item.published_at = now
            client.publish(topics.events(self.agent_id), item.payload, qos=1)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = False

    def _on_message(self, client, userdata, message) -> None:
        try:
            envelope = wire.decode(message.payload)
        except wire.WireError:
            return
        if envelope.type != "acks":
            return
        now = time.monotonic()
        for ack in envelope.body["acks"]:
            item = self.pending.pop(ack["for_id"], None)
            if ack["status"] == "rejected":
                self.stats.rejected += 1
            if item is None:
                self.stats.duplicate_acks += 1
                continue
            self.stats.acked += 1
            self.stats.latencies_s.append(now - item.sent_at)

    def send_payment(self) -> None:
        self.seq += 1
        amount = self.rng.choice((500, 1250, 2000, 4550, 12500, 30000))
        reference = self.rng.choice(self.references) if self.references else f"{self.case_prefix}-{self.agent_id}-{self.seq}"
        body = {"payment_id": f"{self.agent_id}-{self.incarnation}-{self.seq}",
                "receipt_id": f"R-{self.agent_id}-{self.seq}", "office": self.office,
                "amount_minor": amount, "currency": "EUR", "tender": Tender.CARD,
                "reference": {"format": ReferenceFormat.CASE, "value": reference}, "case_ref": reference,
                "card": self.terminal.charge(amount), "captured_at": wire.utc_now()}
        envelope = wire.make(self.agent_id, self.seq, "payment.captured", body, self.identity.signing_key)
        payload = envelope.encode()
        now = time.monotonic()
        self.pending[envelope.id] = Pending(now, payload)
        self.stats.sent += 1
        self.stats.sent_log.append((envelope.id, time.time()))
        if self.connected:   # offline it waits, like an outbox row; `_on_connect` publishes it
            self.pending[envelope.id].published_at = now
            self.client.publish(topics.events(self.agent_id), payload, qos=1)

    def resend_overdue(self, now: float) -> None:
        if not self.connected:
            return
        for item in self.pending.values():
            if item.published_at is not None and now - item.published_at > RESEND_AFTER_S:
                item.resent += 1
                item.published_at = now
                self.stats.resent += 1
                self.client.publish(topics.events(self.agent_id), item.payload, qos=1)
