"""The ingest worker: an MQTT v5 consumer that stores events in batches and acks them.

Three threads, one pipeline:
  paho's network thread  only queues what arrives;
  the checker            takes whatever has arrived (up to `batch_max`, waiting at most
                         `batch_window_s` after the first) and checks each message:
                         envelope, schema, agent, signature.  Ed25519 verification
                         releases the GIL, so it runs beside the writer's Python work;
  the writer             stores a checked batch in ONE transaction and, after the
                         commit, publishes the acks (one message per agent per batch),
                         sends the MQTT PUBACKs (manual ack: a hub that dies before its
                         commit gets the messages redelivered) and asks for replays of
                         sequence gaps.
Batches pass from checker to writer in order, so PUBACKs go out in arrival order.
A bad message is dropped with a logged reason and a counter; it never stops the
stream.  An event that is the agent's but must not be stored as sent (a card number in
it, another office than the agent's; hub/ingest/refusals.py) is acked `rejected` with
the reason.  A batch that fails for anything but a busy or absent database is split in
halves until the event that cannot be stored stands alone; that one is quarantined
(refused `store_failed`), so it costs the other agents a few short transactions, once.
A `certificate.request` on an agent's events topic is answered by the writer after the
batch's commit (hub/ingest/requests.py), never stored as an event.
Several workers share `$share/<share_group>/cp/v1/agents/+/events`; the group's
name is a site secret (`[mqtt] share_group`), since the broker lets any client join a group.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
from sqlalchemy.exc import OperationalError

from protocol import card_numbers
from protocol.wire import Envelope, make, new_message_id
from protocol.wire import topics
from hub.casesys import lookup
from hub.context import HubContext
from hub.delivery import wakeup
from hub.ingest import metrics
from hub.ingest.admission import refusal_of
from hub.ingest.checks import Checked, Rejected, check
from hub.ingest.collector import tune_for_ingest
from hub.ingest.mqtt_client import IngestClient
from hub.ingest.offices import EnrolledOffices
from hub.ingest.refusals import STORE_FAILED, Refusal
from hub.ingest.requests import AgentRequests
from hub.ingest.sequence import DEFAULT_GAP_GRACE_S, due_replays
from hub.ingest.store import Outgoing, store_batch, store_with_retries
from hub.ingest.store_process import StoreFailed, StoreProcess

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


@dataclass
class CheckedBatch:
    items: list[Incoming]                                # every message taken, in arrival order
    events: list[tuple[Envelope, str, Incoming]]         # checked events, their text, the message
    state: list[tuple[Envelope, str]]                    # checked births and wills
    rejected: list[tuple[Incoming, Rejected]]
    refused: list[Refusal] = field(default_factory=list)  # the agent's, answered `rejected`
    requests: list[Envelope] = field(default_factory=list)  # certificate requests, answered on …/cmd


class IngestWorker:
    def __init__(self, context: HubContext, *, host: str, port: int, client_id: str = "hub-1",
                 tls: ssl.SSLContext | None = None, batch_max: int = 500, batch_window_s: float = 0.005,
                 clean_start: bool = False, session_expiry_s: int = SESSION_EXPIRY_S, ack_qos: int = 1,
                 gap_grace_s: float = DEFAULT_GAP_GRACE_S, on_connected=None, store_process: bool = False,
                 share_group: str = "hub"):
        self.context = context
        self._events_topic = f"$share/{share_group}/{topics.PREFIX}/agents/+/events"
        # Store in a process of its own (hub serve does): the MQTT side and the checks keep
        # this process's GIL, the store gets another core.  In-thread otherwise (tests).
        self._store_process = (StoreProcess(context.db.url, context.event_key, gap_grace_s)
                               if store_process else None)
        # QoS 1 acks wait in the broker for an agent that is offline right now, so it
        # need not re-send its outbox; QoS 0 saves a PUBACK per event (the agent re-sends
        # unacked events on reconnect and gets the original ack again either way).
        self.ack_qos = ack_qos
        self.gap_grace_s = gap_grace_s
        self._offices = EnrolledOffices(context.db)
        self._requests = AgentRequests(context)
        # Called (on its own thread) after every (re)connection: `hub serve` republishes
        # the retained catalogue and key directory, in case the broker lost them.
        self.on_connected = on_connected
        self._next_gap_sweep = 0.0
        self.host, self.port = host, port
        self.batch_max, self.batch_window_s = batch_max, batch_window_s
        # SimpleQueue: put and get in C; paho's thread puts every message through it.
        self.inbox: queue.SimpleQueue[Incoming] = queue.SimpleQueue()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # Checked batches on their way to the writer; bounded, so a slow database slows
        # the checker (and the broker keeps what is not PUBACKed) instead of filling memory.
        self._checked: queue.Queue[CheckedBatch | None] = queue.Queue(maxsize=4)
        self.client = IngestClient(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
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
        client.subscribe([(self._events_topic, 1), (topics.ALL_STATES, 1)])
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
        if self._store_process is not None:
            # The shape `hub serve` runs: this process is the ingest's (tests keep Python's defaults).
            tune_for_ingest()
            self._store_process.start()
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self._session_expiry_s
        self.client.reconnect_delay_set(0.2, 5)
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=self._clean_start,
                                  properties=properties)
        self.client.loop_start()
        self._threads = [threading.Thread(target=self._run_checker, name="hub-ingest-checker", daemon=True),
                         threading.Thread(target=self._run_writer, name="hub-ingest-writer", daemon=True)]
        for thread in self._threads:
            thread.start()
        if wait_s and not self.subscribed.wait(wait_s):
            log.warning("hub ingest not subscribed after %.0fs (broker %s:%s)", wait_s, self.host, self.port)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()
        if self._store_process is not None:
            self._store_process.stop()

    # -- checker thread ----------------------------------------------------------------------
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
                batch.append(self.inbox.get(block=False) if remaining <= 0 else self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _run_checker(self) -> None:
        while not self._stop.is_set():
            batch = self._take_batch()
            if not batch:
                self._checked.put(None)      # an idle tick for the writer (gap sweep)
                continue
            delay = 0.2
            while True:
                try:
                    checked = self.check_batch(batch)
                    break
                except Exception:
                    # The key directory could not be read (the database is down): nothing is
                    # PUBACKed, so nothing is lost; try again, and on stop the broker keeps them.
                    log.exception("checking a batch of %d failed; retrying", len(batch))
                    if self._stop.wait(delay):
                        return
                    delay = min(delay * 2, 10.0)
            self._checked.put(checked)

    @staticmethod
    def _check_one(item: Incoming, directory) -> Checked:
        try:
            return check(item.topic, item.payload, directory)
        except Rejected:
            raise
        except Exception as exc:     # a bug a message triggers: drop that message, not the stream
            log.exception("checking a message on %s failed", item.topic[:200])
            raise Rejected("check_failed", f"the check itself failed: {exc!r}") from None

    def check_batch(self, batch: list[Incoming]) -> "CheckedBatch":
        directory = self.context.key_directory()
        out = CheckedBatch(batch, [], [], [])
        for item in batch:
            try:
                checked = self._check_one(item, directory)
            except Rejected as rejected:
                if rejected.reason not in ("signature_unknown_key", "not_enrolled"):
                    out.rejected.append((item, rejected))
                    continue
                # Perhaps a freshly enrolled agent: look at the directory again before dropping.
                directory = self.context.key_directory(refresh=True)
                try:
                    checked = self._check_one(item, directory)
                except Rejected as again:
                    out.rejected.append((item, again))
                    continue
            raw = item.payload.decode("utf-8")
            try:
                refusal = refusal_of(checked, raw, self._offices)
            except Rejected as rejected:
                out.rejected.append((item, rejected))
                continue
            if refusal is not None:
                out.refused.append(refusal)
            elif self._requests.takes(checked.envelope):
                out.requests.append(checked.envelope)
            elif checked.kind == "events":
                out.events.append((checked.envelope, raw, item))
            else:
                out.state.append((checked.envelope, raw))
        return out

    # -- writer thread ------------------------------------------------------------------------
    def _run_writer(self) -> None:
        while not (self._stop.is_set() and self._checked.empty()):
            try:
                checked = self._checked.get(timeout=0.2)
            except queue.Empty:
                checked = None
            if checked is None:
                self._sweep_gaps()
                continue
            self._commit_until_done(self._coalesce(checked))

    def _coalesce(self, batch: "CheckedBatch") -> "CheckedBatch":
        """Join the checked batches waiting behind this one (in order) into one commit:
        while a commit runs, the checker keeps cutting small batches, and a commit has
        a fixed cost (statements, the commit itself) that small ones would pay each."""
        while len(batch.items) < self.batch_max * 4:
            try:
                following = self._checked.get_nowait()
            except queue.Empty:
                break
            if following is None:
                continue
            batch.items += following.items
            batch.events += following.events
            batch.state += following.state
            batch.rejected += following.rejected
            batch.refused += following.refused
            batch.requests += following.requests
        return batch

    def _commit_until_done(self, batch: "CheckedBatch") -> None:
        """A failing batch is retried, never dropped: the agents' events are in it.  While
        the database is busy or down that holds the stream, as it must.  A batch that
        fails for another reason with the database up (a value the store cannot hold, a
        bug one message triggers) is split at once, so the message that cannot be stored
        is quarantined and the others are stored without waiting for it."""
        delay = 0.2
        for attempt in range(1, 1_000_000):
            try:
                self.commit(batch)
                return
            except Exception as exc:   # never let one bad batch kill the consumer
                log.exception("ingest batch of %d failed (attempt %d)", len(batch.items), attempt)
                waiting_for_database = _database_busy(exc) and attempt < 3
            if self._stop.is_set():
                return
            if not waiting_for_database and self._database_answers():
                self._commit_in_halves(batch)
                return
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _commit_in_halves(self, batch: "CheckedBatch") -> None:
        """Store what can be stored of a failed batch, halving the part that fails until
        one message is left, then quarantine that one; PUBACK everything at the end."""
        parts = ([("event", e) for e in batch.events] + [("state", s) for s in batch.state]
                 + [("refused", r) for r in batch.refused])
        quarantined: list[Refusal] = []
        pending = [(parts, 0)]
        while pending:
            part, busy = pending.pop()
            try:
                self.commit(CheckedBatch([], [p for k, p in part if k == "event"], [p for k, p in part if k == "state"],
                                         [], [p for k, p in part if k == "refused"]), attempts=2)
                continue
            except Exception as exc:
                if _database_busy(exc) and busy < 5 and not self._stop.is_set():
                    time.sleep(0.1 * (busy + 1))      # busy, not broken: never quarantine for that
                    pending.append((part, busy + 1))
                    continue
                if len(part) > 1:
                    middle = len(part) // 2
                    pending += [(part[middle:], 0), (part[:middle], 0)]
                    continue
                failure = exc
            kind, one = part[0]
            if kind == "event":
                envelope, raw, _item = one
                detail = card_numbers.redact(f"{type(failure).__name__}: {failure}".splitlines()[0])
                log.error("event %s of agent %s could not be stored, quarantined: %s", envelope.id, envelope.agent,
                          detail[:300])
                quarantined.append(Refusal.of(envelope, STORE_FAILED, f"the hub could not store it ({detail}); "
                                              "quarantined", keep=raw))
            elif kind == "state":
                log.error("a birth or will of %s could not be stored; dropped", one[0].agent)
            else:
                log.error("the refusal of event %s of agent %s could not be stored; not answered", one.message_id,
                          one.agent)
        try:
            self.commit(CheckedBatch(batch.items, [], [], batch.rejected, quarantined), attempts=2)
        except Exception:
            # Not even the refusals could be stored: PUBACK all the same, the quarantined
            # ones unanswered (their agents send them again, alone this time).
            log.exception("quarantining %d event(s) failed; dropped unanswered", len(quarantined))
            self.commit(CheckedBatch(batch.items, [], [], batch.rejected))

    def _database_answers(self) -> bool:
        try:
            with self.context.db.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def commit(self, batch: "CheckedBatch", attempts: int = 5) -> None:
        """Store the checked events, refusals and states, then ack: acks to the agents, the
        rejections counted, and PUBACKs for every message of the batch, in order."""
        if batch.events or batch.state or batch.refused:
            outgoing = self._store([(envelope, raw) for envelope, raw, _ in batch.events], batch.state,
                                   batch.refused, attempts)
            metrics.count_refused(outgoing.refused)      # before the acks: whoever sees one sees it counted
            # Published only now the batch is committed: one acks message per agent.
            for agent_id, message in outgoing.acks:
                self.client.publish(topics.acks(agent_id), message, qos=self.ack_qos)
            for (type_, outcome), count in outgoing.outcomes.items():
                metrics.EVENTS.labels(type_, outcome).inc(count)
            now = time.monotonic()
            for _, _, item in batch.events:
                metrics.ACK_LATENCY.observe(now - item.arrived)
            for agent_id, first_missing in outgoing.gaps.items():
                self.request_replay(agent_id, first_missing)
            if outgoing.stored and self._store_process is not None:
                self._after_store_elsewhere(outgoing)
        for envelope in batch.requests:
            topic, answer = self._requests.answer(envelope)
            self.client.publish(topic, answer, qos=1)
        for item, rejected in batch.rejected:
            self._reject(item, rejected)
        if batch.items:
            metrics.BATCH_SIZE.observe(len(batch.items))
        for item in batch.items:
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

    def _store(self, events, state, refused, attempts) -> Outgoing:
        if self._store_process is not None:
            return self._store_process.store(events, state, refused, attempts)
        return store_with_retries(self.context.db, events, state, self.context.event_key, self.gap_grace_s,
                                  store=store_batch, refused=refused, attempts=attempts)

    def _after_store_elsewhere(self, outgoing: Outgoing) -> None:
        """What the store process did only in its own memory, done here too: wake this
        process's delivery worker (on PostgreSQL the commit's NOTIFY does it too; SQLite
        has only this), and evict the case lookups of references just paid, so a clerk
        asking what a case owes is not shown the amount from before this payment."""
        wakeup.notify()
        for ref in outgoing.stale_refs:
            lookup.forget_everywhere(ref)

    def _reject(self, item: Incoming, rejected: Rejected) -> None:
        metrics.REJECTED.labels(rejected.reason).inc()
        log.warning("dropped message on %s: %s (%s)", item.topic[:200], rejected, rejected.reason)

    def request_replay(self, agent_id: str, from_seq: int) -> None:
        command = make(agent_id, 0, "command", {"request_id": new_message_id(), "command": "replay",
                                                "from_seq": from_seq}, self.context.event_key)
        self.client.publish(topics.commands(agent_id), command.encode(), qos=1)
        metrics.REPLAYS.inc()
        log.info("asked agent %s to replay from seq %d", agent_id, from_seq)


def _database_busy(exc: Exception) -> bool:
    """A failure of the database rather than of the batch: locked, unreachable, its process gone."""
    if isinstance(exc, StoreFailed):
        return exc.transient
    return isinstance(exc, OperationalError)
