"""The agent's MQTT client: drains the outbox to the hub and takes acks, commands, broadcasts.

One thread owns the paho client (paho-mqtt 2.x, MQTT v5, TLS with the agent's client
certificate, or plain for tests) and does everything network-side in order:

* connect with a signed, retained *will* (type 'will') on `…/A/state`; on CONNACK
  publish the retained *birth* with the persisted incarnation counter, and publish it
  again once the backlog it reported has drained, so the hub does not keep showing the
  outbox depth the agent had when it connected;
* publish pending outbox rows in sequence order, at most `window` in flight;
* a row is done only when the hub's application ack for its message id arrives on
  `…/A/acks` (`Outbox.mark_acked`), never on PUBACK: paho keeps in-flight messages in
  memory only, so after a restart or reconnect every pending row goes out again with the
  same id and bytes, and after `ack_timeout_s` without an ack it goes out again too;
* hub commands on `…/A/cmd` go to `on_command` (run on a worker thread, not here);
* retained catalogue and key directory are cached in the store, and so is the office's
  order state (cancelled and changed orders, agent/sync/order_state.py), its card
  activation (the service steps that take cards, agent/sync/card_activation.py) and its
  desk roster (who may log in here, on `…/A/roster`, agent/sync/desk_roster.py): one
  that arrives before a key directory with the hub's key is kept in memory and checked
  once it does, and `on_roster` is called after each roster taken (the service ends the
  session of an operator the hub no longer lists).

The broker certificate is renewed on this connection (agent/renewal.py): once it is old
enough a `certificate.request` goes out on `…/A/events`; the hub's `certificate.answer`
on `…/A/cmd` is staged, the client reconnects with the new pair, and the files are
swapped only once the broker accepted it; a pair the broker refuses is dropped and the
current one used again.

Reconnects use jittered exponential backoff (`Backoff`).
Crash points (CP_CRASH_AT): during_publish (after the first row of a batch),
after_puback (PUBACK of an event arrived, hub ack not yet).
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol.keys import SigningKey
from protocol.wire import WireError, decode, make, topics, verify
from protocol.wire.messages import Birth, Will, body_of, build

from agent.crash import crash_point
from agent.outbox import Outbox
from agent.store import Store, StoreError
from agent.sync import caches, card_activation, desk_roster, order_state
from agent.sync.backoff import Backoff

log = logging.getLogger("counterpay.agent.sync")
FLUSH_EVERY_S = 0.05


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool


@dataclass(frozen=True)
class TlsFiles:
    ca: str
    cert: str
    key: str


def parse_broker(url: str) -> BrokerAddress:
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
        raise ValueError(f"broker {url!r}: expected mqtt://HOST:PORT or mqtts://HOST:PORT")
    tls = parsed.scheme == "mqtts"
    return BrokerAddress(parsed.hostname, parsed.port or (8883 if tls else 1883), tls)


class SyncClient:
    def __init__(self, store: Store, outbox: Outbox, key: SigningKey, agent_id: str, broker: str, *,
                 incarnation: int, birth_info: Callable[[], dict], tls: TlsFiles | None = None,
                 window: int = 100, ack_timeout_s: float = 30.0, backoff: Backoff | None = None,
                 on_command: Callable[[dict], None] | None = None, on_change: Callable[[], None] = lambda: None,
                 office: str | None = None, on_roster: Callable[[], None] = lambda: None, renewal=None,
                 renewal_check_s: float = 60.0):
        self.store, self.outbox, self.key, self.agent_id = store, outbox, key, agent_id
        self.address = parse_broker(broker)
        self.incarnation = incarnation
        self.birth_info = birth_info
        self.tls = tls
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.backoff = backoff or Backoff()
        self.on_command = on_command
        self.on_change = on_change
        self.online = False
        self.last_error: str | None = None
        self.last_ack_at: float | None = None
        self.connected_since: float | None = None
        self.clock_skew_s: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inflight: dict[str, tuple[int, float, bytes]] = {}   # message id -> (seq, sent at, bytes)
        self._cursor = 0
        self._acks: list[tuple[str, str]] = []
        self._sent: list[int] = []
        self._flushed_at = 0.0
        self._acks_lock = threading.Lock()
        self._dirty = True
        self._birth_depth = 0                 # the outbox depth the last birth reported
        self._rewind: int | None = None
        self._keys = ...                      # KeyDirectory | None, loaded on first use
        self._hub_keys = False                # does the directory list a hub key yet?
        self._mids: dict[int, str] = {}       # paho mid -> message id, for the PUBACK crash point
        self.topics = {kind: topics.agent_topic(agent_id, kind) for kind in topics.KINDS}
        self.office = office
        self.order_state_topic = topics.order_state(office) if office else None
        self.office_catalogue_topic = topics.office_catalogue(office) if office else None
        self._unverified_order_state: bytes | None = None     # heard before the hub's key
        self.renewal = renewal                # agent.renewal.CertificateRenewal | None
        self.renewal_check_s = renewal_check_s
        self._renewal_checked_at = 0.0
        self._candidate: TlsFiles | None = None   # a renewed pair to connect with next
        self._trying = False                  # this connection attempt uses the candidate
        self._switch = False                  # end the session: a candidate waits
        self.card_activation_topic = topics.card_activation(office) if office else None
        self._unverified_card_activation: bytes | None = None
        # The roster is retained on this agent's own topic: its operators' verifiers are for it alone.
        self.roster_topic = topics.desk_roster(agent_id) if office else None
        self._unverified_roster: bytes | None = None
        self.on_roster = on_roster

    # lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="counterpay-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout_s)

    def rewind(self, from_seq: int) -> None:
        """Rows from `from_seq` on were re-queued (hub replay): publish them again."""
        self._rewind = min(self._rewind, from_seq - 1) if self._rewind is not None else from_seq - 1
        self.wake()

    def wake(self) -> None:
        """New rows in the outbox: look now rather than at the next tick."""
        self._dirty = True

    # the network thread ----------------------------------------------------------------
    def _client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.agent_id, protocol=mqtt.MQTTv5)
        client.username_pw_set(self.agent_id)
        if self.address.tls:
            if self.tls is None:
                raise ValueError("an mqtts:// broker needs the agent's TLS files (run `counterpay agent enroll`)")
            tls = self._candidate or self.tls
            self._trying = self._candidate is not None
            client.tls_set(ca_certs=tls.ca, certfile=tls.cert, keyfile=tls.key, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        will = make(self.agent_id, 0, "will", body_of(build(Will, incarnation=self.incarnation)), self.key)
        client.will_set(self.topics["state"], will.encode(), qos=1, retain=True)
        client.max_inflight_messages_set(self.window + 10)   # + birth and re-sends
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        return client

    def _run(self) -> None:
        if self.renewal is not None and self.tls is not None:
            self._candidate = self.renewal.staged     # staged before a restart: try it now
        while not self._stop.is_set():
            # A fresh paho client for every connection, always a clean start: paho's own
            # in-flight state lives in memory and is not what decides delivery; the outbox
            # is, and every pending row is published again below.
            try:
                client = self._client()
                client.connect(self.address.host, self.address.port, keepalive=20, clean_start=True)
            except (OSError, ssl.SSLError, ValueError) as exc:
                self._set_error(f"cannot reach the broker {self.address.host}:{self.address.port}: {exc}")
                self._candidate_failed(str(exc))
                self._stop.wait(self.backoff.next_delay())
                continue
            self._session(client)
            self._candidate_failed("the broker closed the connection before accepting it")
            try:
                self._flush(force=True)
            except StoreError as exc:
                self._set_error(str(exc))
            if self.online:
                self.online = False
                self.on_change()
            self._inflight.clear()
            try:
                client.disconnect()
            except Exception:  # already gone
                pass
            if self._switch:
                self._switch = False          # a renewed pair to try: reconnect now
            elif not self._stop.is_set():
                self._stop.wait(self.backoff.next_delay())

    def _candidate_failed(self, why: str) -> None:
        """The attempt with the renewed pair did not get in: back to the current pair."""
        if self._trying and self._candidate is not None:
            self._candidate, self._trying = None, False
            self.renewal.abandon(why)

    def _session(self, client: mqtt.Client) -> None:
        while not self._stop.is_set() and not self._switch:
            rc = client.loop(timeout=0.02 if self._inflight or self._dirty else 0.2)
            if rc != mqtt.MQTT_ERR_SUCCESS:
                self._set_error(f"connection to the broker lost ({mqtt.error_string(rc)})")
                return
            if self.online:
                try:
                    self._pump(client)
                    self._flush(force=not self._inflight)
                    if self._birth_depth and not self._inflight and not self._dirty:
                        self._publish_birth(client)      # the backlog the birth reported is gone
                    self._maybe_renew(client)
                except StoreError as exc:
                    self._set_error(str(exc))
                    self._stop.wait(1.0)

    def _set_error(self, text: str) -> None:
        if text != self.last_error:
            log.warning("%s", text)
        self.last_error = text
        self.on_change()

    # publishing ------------------------------------------------------------------------
    def _pump(self, client: mqtt.Client) -> None:
        now = time.monotonic()
        resend = [(mid, entry) for mid, entry in self._inflight.items() if now - entry[1] > self.ack_timeout_s]
        for message_id, (seq, _, raw) in resend:
            self._publish(client, message_id, raw)
            self._inflight[message_id] = (seq, now, raw)
        if self._rewind is not None:
            self._cursor, self._rewind = min(self._cursor, max(0, self._rewind)), None
        room = self.window - len(self._inflight)
        if room <= 0 or not self._dirty:
            return
        rows = self.outbox.pending(after_seq=self._cursor, limit=room)
        self._dirty = len(rows) == room      # a full batch: there may be more
        for index, row in enumerate(rows):
            self._publish(client, row.message_id, row.envelope)
            self._inflight[row.message_id] = (row.seq, now, row.envelope)
            self._cursor = row.seq
            if index == 0:
                crash_point("during_publish")
        self._sent.extend([row.seq for row in rows] + [entry[0] for _, entry in resend])

    def _publish(self, client: mqtt.Client, message_id: str, raw: bytes) -> None:
        info = client.publish(self.topics["events"], raw, qos=1)
        self._mids[info.mid] = message_id

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        if self._mids.pop(mid, None) is not None:
            crash_point("after_puback")

    def _flush(self, force: bool = False) -> None:
        """Persist sends and acks in batches: one fsync per batch keeps the drain fast.

        Losing an unflushed ack in a crash is harmless: the row is re-sent with the same
        id and the hub answers 'duplicate'.  In-flight slots were freed when the ack came.
        """
        if not (self._acks or self._sent):
            return
        if not force and len(self._acks) < self.window and time.monotonic() - self._flushed_at < FLUSH_EVERY_S:
            return
        with self._acks_lock:
            acks, self._acks = self._acks, []
        sent, self._sent = self._sent, []
        self.outbox.record_progress(sent, acks)
        self._flushed_at = time.monotonic()
        if acks:
            self.last_ack_at = time.time()
            self.on_change()

    def _publish_birth(self, client: mqtt.Client) -> None:
        info = self.birth_info()
        body = body_of(build(Birth, incarnation=self.incarnation, **info))
        birth = make(self.agent_id, 0, "birth", body, self.key)
        client.publish(self.topics["state"], birth.encode(), qos=1, retain=True)
        self._birth_depth = info.get("outbox_depth") or 0

    def _maybe_renew(self, client: mqtt.Client) -> None:
        now = time.monotonic()
        if self.renewal is None or self.tls is None or now - self._renewal_checked_at < self.renewal_check_s:
            return
        self._renewal_checked_at = now
        try:
            if self.renewal.due():
                client.publish(self.topics["events"], self.renewal.request().encode(), qos=1)
        except (OSError, ValueError, WireError) as exc:
            self._set_error(f"cannot ask for a renewed certificate: {exc}")

    def _take_certificate(self, body: dict) -> None:
        if self.renewal is None or body.get("request_id") != self.renewal.request_id:
            log.info("dropped a certificate answer this desk is not waiting for")
            return
        staged = self.renewal.receive(body)
        if staged is None:
            self._set_error(self.renewal.last_error or "the renewed certificate cannot be used")
        else:
            self.try_certificate(staged)

    def try_certificate(self, staged: TlsFiles) -> None:
        """Reconnect with the staged pair; `renewal.commit()` once the broker accepts it, else `abandon()`."""
        self._candidate, self._switch = staged, True

    # callbacks (network thread) ----------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._set_error(f"the broker refused the connection: {reason_code}")
            return
        self.backoff.reset()
        if self._trying and self._candidate is not None:
            self._candidate, self._trying = None, False
            try:
                self.renewal.commit()
            except OSError as exc:   # the new pair works but is not in place: the old one still does
                self._set_error(f"cannot put the renewed certificate in place: {exc}")
        subscriptions = [(self.topics["acks"], 1), (self.topics["cmd"], 1), (topics.CATALOGUE, 1),
                         (topics.KEYS, 1), (topics.REVOCATIONS, 1)]
        if self.order_state_topic:
            subscriptions.append((self.order_state_topic, 1))
        if self.card_activation_topic:
            subscriptions.append((self.card_activation_topic, 1))
        if self.roster_topic:
            subscriptions.append((self.roster_topic, 1))
        if self.office_catalogue_topic:
            subscriptions.append((self.office_catalogue_topic, 1))
        client.subscribe(subscriptions)
        self._publish_birth(client)
        # Everything pending goes out again: in-flight state died with the old connection.
        self._inflight.clear()
        self._mids.clear()
        self._cursor = 0
        self._dirty = True
        self.online = True
        self.connected_since = time.time()
        self.last_error = None
        self.on_change()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.online = False
        self.on_change()

    def _on_message(self, client, userdata, message) -> None:
        try:
            if message.topic == topics.CATALOGUE:
                caches.store_catalogue(self.store, message.payload)
            elif message.topic == self.office_catalogue_topic:
                caches.store_catalogue(self.store, message.payload, caches.OFFICE)
            elif message.topic == topics.KEYS:
                self._keys = caches.store_keys(self.store, message.payload)
                self._hub_keys = any(e.owner == "hub" for e in self._keys.entries.values())
                self._take_held()
            elif message.topic == self.card_activation_topic:
                self._take_card_activation(message.payload)
            elif message.topic == self.order_state_topic:
                self._take_order_state(message.payload)
            elif message.topic == self.roster_topic:
                self._take_roster(message.payload)
            elif message.topic == topics.REVOCATIONS:
                pass  # revocations arrive folded into the key directory; nothing else to keep
            elif message.topic == self.topics["acks"]:
                envelope = self._from_hub(message.payload, "acks")
                self._note_skew(envelope.time)
                items = envelope.body["acks"]     # every event of ours the hub committed in one batch
                with self._acks_lock:
                    self._acks.extend((item["for_id"], item["status"]) for item in items)
                for item in items:
                    if self._inflight.pop(item["for_id"], None) is not None:
                        self._dirty = True   # a slot in the window is free
            elif message.topic == self.topics["cmd"]:
                envelope = self._from_hub(message.payload, ("command", "certificate.answer"))
                if envelope.type == "certificate.answer":
                    self._take_certificate(envelope.body)
                elif self.on_command:
                    threading.Thread(target=self.on_command, args=(dict(envelope.body),), daemon=True).start()
        except (WireError, caches.CacheError, StoreError) as exc:
            # Bad input on the wire: say what was wrong, drop it, stay up.
            self._set_error(f"dropped a message on {message.topic}: {exc}")

    def _take_order_state(self, raw: bytes) -> None:
        self._load_keys()
        if not self._hub_keys:
            self._unverified_order_state = raw
            log.info("order state heard before the hub's key: checked once the key directory arrives")
            return
        refused = order_state.receive(self.store, raw, self._keys, self.office)
        log.info("order state of office %s heard: %d orders refused at this desk", self.office, refused)

    def _take_held(self) -> None:
        """Check what was heard before the hub's key, each on its own: one refused keeps not the other out."""
        if not self._hub_keys:
            return
        held = [(self._unverified_order_state, self._take_order_state),
                (self._unverified_card_activation, self._take_card_activation),
                (self._unverified_roster, self._take_roster)]
        self._unverified_order_state = self._unverified_card_activation = self._unverified_roster = None
        for raw, take in held:
            if raw is None:
                continue
            try:
                take(raw)
            except (WireError, StoreError) as exc:
                self._set_error(f"dropped a broadcast held until the key directory came: {exc}")

    def _take_card_activation(self, raw: bytes) -> None:
        self._load_keys()
        if not self._hub_keys:
            self._unverified_card_activation = raw
            log.info("card activation heard before the hub's key: checked once the key directory arrives")
            return
        active = card_activation.receive(self.store, raw, self._keys, self.office)
        log.info("card activation of office %s heard: %d service steps take cards at this desk", self.office, active)
        self.on_change()

    def _take_roster(self, raw: bytes) -> None:
        if not raw:     # the hub cleared this desk's copy (it revoked the desk): keep what the desk holds
            log.info("the hub cleared this desk's roster topic; the roster held stays")
            return
        self._load_keys()
        if not self._hub_keys:
            self._unverified_roster = raw
            log.info("desk roster heard before the hub's key: checked once the key directory arrives")
            return
        listed = desk_roster.receive(self.store, raw, self._keys, self.office)
        log.info("desk roster of office %s heard: %d operators may log in here", self.office, listed)
        self.on_roster()

    def _load_keys(self) -> None:
        if self._keys is ...:
            self._keys = caches.cached_keys(self.store)
            self._hub_keys = self._keys is not None and any(e.owner == "hub" for e in self._keys.entries.values())

    def _note_skew(self, hub_time: str) -> None:
        """Local clock minus the hub's, from ack times (an upper bound: includes the trip)."""
        try:
            sent = dt.datetime.fromisoformat(hub_time.replace("Z", "+00:00"))
        except ValueError:
            return
        self.clock_skew_s = round((dt.datetime.now(dt.timezone.utc) - sent).total_seconds(), 3)

    def _from_hub(self, raw: bytes, expected: str | tuple[str, ...]):
        envelope = decode(raw)
        expected = (expected,) if isinstance(expected, str) else expected
        if envelope.type not in expected:
            raise WireError("wrong_type", f"expected a {' or '.join(expected)}, got a {envelope.type}")
        if envelope.agent != self.agent_id:
            raise WireError("wrong_agent", f"message is for agent {envelope.agent}, not for {self.agent_id}")
        self._load_keys()
        if self._hub_keys:
            verify(envelope, self._keys, owner="hub")
        # Before the first key directory arrives (a fresh install) the broker's ACL is the
        # only guard: only the hub may write to …/acks and …/cmd.
        return envelope

