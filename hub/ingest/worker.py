"""The ingest worker: an MQTT v5 consumer that stores events in batches and acks them.

The paho network thread only queues messages.  A writer thread takes whatever has
arrived (up to `batch_max`, waiting at most `batch_window_s` after the first), checks
each, stores the batch in ONE transaction, and after the commit publishes the
application acks, sends the MQTT PUBACKs (manual ack: a hub that dies before its
commit gets the messages redelivered), and asks for replays of sequence gaps.
A bad message is dropped with a logged reason and a counter; it never stops the
stream.  Several workers can share `$share/hub/cp/v1/agents/+/events`.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
from sqlalchemy.exc import IntegrityError, OperationalError

from protocol.wire import make, new_message_id
from protocol.wire import topics
from hub.context import HubContext
from hub.ingest import metrics
from hub.ingest.checks import Rejected, check
from hub.ingest.sequence import DEFAULT_GAP_GRACE_S, due_replays
from hub.ingest.store import store_batch

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600
"""The broker keeps the hub's session (and queues its events) for a week of hub outage."""


@dataclass
class Incoming:
    topic: str
    payload: bytes
    mid: int
    qos: int
    arrived: float


class IngestWorker:
    def __init__(self, context: HubContext, *, host: str, port: int, client_id: str = "hub-1",
                 tls: ssl.SSLContext | None = None, batch_max: int = 500, batch_window_s: float = 0.005,
                 clean_start: bool = False, session_expiry_s: int = SESSION_EXPIRY_S, ack_qos: int = 1,
                 gap_grace_s: float = DEFAULT_GAP_GRACE_S, on_connected=None):
        self.context = context
        # QoS 1 acks wait in the broker for an agent that is offline right now, so it
        # need not re-send its outbox; QoS 0 saves a PUBACK per event (the agent re-sends
        # unacked events on reconnect and gets the original ack again either way).
        self.ack_qos = ack_qos
        self.gap_grace_s = gap_grace_s
        # Called (on its own thread) after every (re)connection: `hub serve` republishes
        # the retained catalogue and key directory, in case the broker lost them.
        self.on_connected = on_connected
        self._next_gap_sweep = 0.0
        self.host, self.port = host, port
        self.batch_max, self.batch_window_s = batch_max, batch_window_s
        self.inbox: queue.Queue[Incoming] = queue.Queue()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
                                  manual_ack=True)
        if tls is not None:
            self.client.tls_set_context(tls)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a, **_k: self.subscribed.set()
        self.client.on_disconnect = lambda *_a, **_k: self.connected.clear()
        self._clean_start = clean_start
        # A worker's client id must be stable across restarts: its session (and shared
        # subscription) outlives it for session_expiry_s and gets its share of the stream.
        self._session_expiry_s = session_expiry_s
        context.publisher = self.publish

    # -- MQTT side (paho's thread) ------------------------------------------------------
    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.error("broker refused the hub: %s", reason_code)
            return
        self.connected.set()
        client.subscribe([(topics.SHARED_EVENTS, 1), (topics.ALL_STATES, 1)])
        if self.on_connected is not None:
            threading.Thread(target=self._call_on_connected, name="hub-on-connected", daemon=True).start()

    def _call_on_connected(self) -> None:
        try:
            self.on_connected()
        except Exception:
            log.exception("publishing the retained hub state after connecting failed")

    def _on_message(self, _client, _userdata, message) -> None:
        self.inbox.put(Incoming(message.topic, message.payload, message.mid, message.qos, time.monotonic()))

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain)

    # -- life cycle -------------------------------------------------------------------------
    def start(self, wait_s: float = 10.0) -> "IngestWorker":
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self._session_expiry_s
        self.client.reconnect_delay_set(0.2, 5)
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=self._clean_start,
                                  properties=properties)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="hub-ingest-writer", daemon=True)
        self._thread.start()
        if wait_s and not self.subscribed.wait(wait_s):
            log.warning("hub ingest not subscribed after %.0fs (broker %s:%s)", wait_s, self.host, self.port)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()

    # -- writer thread ------------------------------------------------------------------------
    def _take_batch(self) -> list[Incoming]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = first.arrived + self.batch_window_s
        while len(batch) < self.batch_max:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self.inbox.get_nowait() if remaining <= 0 else self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._take_batch()
            if not batch:
                self._sweep_gaps()
                continue
            self._process_until_done(batch)

    def _process_until_done(self, batch: list[Incoming]) -> None:
        """A failing batch (database down, a bug) is retried, never dropped: the agents'
        events are in it.  While the database is down that holds the stream, as it must.
        If the batch keeps failing with the database up, it is split so one poison
        message cannot block the others: that message alone is dropped with a reason."""
        delay = 0.2
        for attempt in range(1, 1_000_000):
            try:
                self.process(batch)
                return
            except Exception:   # never let one bad batch kill the consumer
                log.exception("ingest batch of %d failed (attempt %d); retrying", len(batch), attempt)
            if self._stop.is_set():
                return
            if attempt >= 3 and self._database_answers():
                for item in batch:
                    self._process_alone(item)
                return
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _process_alone(self, item: Incoming) -> None:
        try:
            self.process([item])
        except Exception as exc:
            self._reject(item, Rejected("store_failed", f"could not be stored: {exc!r}"))
            if item.qos > 0:
                self.client.ack(item.mid, item.qos)

    def _database_answers(self) -> bool:
        try:
            with self.context.db.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def process(self, batch: list[Incoming]) -> None:
        directory = self.context.key_directory()
        events, event_items, state = [], [], []
        for item in batch:
            try:
                checked = check(item.topic, item.payload, directory)
            except Rejected as rejected:
                if rejected.reason not in ("signature_unknown_key", "not_enrolled"):
                    self._reject(item, rejected)
                    continue
                # Perhaps a freshly enrolled agent: look at the directory again before dropping.
                directory = self.context.key_directory(refresh=True)
                try:
                    checked = check(item.topic, item.payload, directory)
                except Rejected as again:
                    self._reject(item, again)
                    continue
            if checked.kind == "events":
                events.append((checked.envelope, item.payload.decode("utf-8")))
                event_items.append(item)
            else:
                state.append((checked.envelope, ""))
        if events or state:
            outgoing = self._store(events, state)
            # store_batch yields one ack per event, in order: publish them now the batch is committed.
            for (envelope, _), item, (agent_id, ack, outcome) in zip(events, event_items, outgoing.acks):
                self.client.publish(topics.acks(agent_id), ack, qos=self.ack_qos)
                metrics.EVENTS.labels(envelope.type, outcome).inc()
                metrics.ACK_LATENCY.observe(time.monotonic() - item.arrived)
            for agent_id, first_missing in outgoing.gaps.items():
                self.request_replay(agent_id, first_missing)
        metrics.BATCH_SIZE.observe(len(batch))
        for item in batch:
            if item.qos > 0:
                self.client.ack(item.mid, item.qos)

    def _sweep_gaps(self) -> None:
        """On an idle tick: chase gaps of agents that have gone quiet since."""
        if time.monotonic() < self._next_gap_sweep:
            return
        self._next_gap_sweep = time.monotonic() + max(self.gap_grace_s / 2, 0.2)
        try:
            with self.context.db.begin() as conn:
                due = due_replays(conn, self.gap_grace_s)
        except Exception:
            log.exception("sequence gap sweep failed")
            return
        for agent_id, first_missing in due.items():
            self.request_replay(agent_id, first_missing)

    def _store(self, events, state):
        for attempt in range(5):
            try:
                with self.context.db.begin() as conn:
                    return store_batch(conn, events, state, self.context.event_key, self.gap_grace_s)
            except (IntegrityError, OperationalError) as exc:
                # Another hub worker stored one of these first (or held the lock): the
                # retry sees its rows and treats them as duplicates.
                log.info("ingest batch retried after %s", type(exc).__name__)
                time.sleep(0.05 * (attempt + 1))
        with self.context.db.begin() as conn:
            return store_batch(conn, events, state, self.context.event_key, self.gap_grace_s)

    def _reject(self, item: Incoming, rejected: Rejected) -> None:
        metrics.REJECTED.labels(rejected.reason).inc()
        log.warning("dropped message on %s: %s (%s)", item.topic[:200], rejected, rejected.reason)

    def request_replay(self, agent_id: str, from_seq: int) -> None:
        command = make(agent_id, 0, "command", {"request_id": new_message_id(), "command": "replay",
                                                "from_seq": from_seq}, self.context.event_key)
        self.client.publish(topics.commands(agent_id), command.encode(), qos=1)
        metrics.REPLAYS.inc()
        log.info("asked agent %s to replay from seq %d", agent_id, from_seq)
