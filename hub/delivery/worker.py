"""The delivery worker: POSTs signed confirmations to case systems until they are accepted.

- A confirmation is sent when it is due, its case system is enabled, and no earlier
  confirmation for the same case (same case system, same `case_key`) is still pending:
  per-case order holds even across days of retries.  A dead letter blocks nothing.
- 2xx: delivered.  410: the case system is disabled (audited) and its confirmations
  wait, visibly, until an admin enables it again.  Anything else (5xx, 4xx, timeouts,
  refused connections): retried by `RetryPolicy`, honouring Retry-After, with the same
  webhook id and body, until the retry window (72 h) is over; then a dead letter.
- Rows are claimed with a lease (`lease_owner`, `lease_until`) so several hub workers
  can share one PostgreSQL database.  The scan reads the heads `FOR UPDATE SKIP LOCKED`
  there: two workers scanning at once take different rows and neither waits for the
  other's claim.  Per-case order holds across workers because a row is a head only while
  no earlier row of its case is pending, leased or not.  An outcome is recorded only
  under the lease it was sent with: a worker that comes back after its lease ran out
  (and another took the row) changes nothing.
- A crashed worker's lease runs out (`request_timeout_s` + LEASE_MARGIN_S) and another
  worker sends the row again, with the same webhook id (receivers deduplicate by it).
  A worker restarted under its name (`hub serve --worker NAME`) takes back its previous
  life's leases sooner, once they are `request_timeout_s` old (any request sent under
  them is over by then): it holds its name's lock (hub/store/locks.py) for as long as it
  runs, so while it has the lock no other process of that name is alive.
- Wake-ups: `wakeup.notify()` wakes `run()` as soon as a row is queued in this process,
  PostgreSQL NOTIFY when another process commits one (hub.delivery.wakeup); it also
  polls every `poll_interval_s` (SQLite across processes, retries due).
- Time comes from an injectable `Clock`; `run_once()` lets a test drive days of
  retries step by step.  The signature timestamp comes from `signing_time` (the clock
  by default) so a test on virtual time can still sign with real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import httpx
from sqlalchemy import and_, bindparam, exists, or_, select

from hub.casesys import registry
from hub.casesys.outbound import InternalTarget, answer_excerpt, check_target
from hub.config import DeliverySettings
from hub.delivery import metrics, wakeup
from hub.delivery.clock import Clock, SystemClock, stamp, unstamp
from hub.delivery.policy import RetryPolicy
from hub.delivery.replay import route_recent
from hub.store import locks
from hub.store.db import Database
from hub.store.tables_delivery import case_systems, deliveries, delivery_attempts
from protocol import webhooks
from protocol.domain import DeliveryStatus

log = logging.getLogger(__name__)

# After a wake-up that found nothing (the enqueuing transaction had not committed yet),
# look again after these delays before falling back to the poll interval.
RESCAN_AFTER_WAKE_S = (0.005, 0.02, 0.05, 0.1, 0.25)
GAUGE_REFRESH_S = 1.0
LEASE_MARGIN_S = 30.0
"""A lease lasts one request's time limit and this much more (recording the outcome, a slow database)."""


# Statements built once with parameters: compiled once and cached (they run per scan / attempt).
# One statement with every column as a parameter: compiled once, cached (this runs per attempt).
_RECORD_OUTCOME = deliveries.update().where(deliveries.c.id == bindparam("row_id"),
                                            deliveries.c.lease_owner == bindparam("lease_token")).values(
    attempts=bindparam("attempts"), last_attempt_at=bindparam("last_attempt_at"),
    last_status=bindparam("last_status"), last_error=bindparam("last_error"), status=bindparam("status"),
    next_attempt_at=bindparam("next_attempt_at"), delivered_at=bindparam("delivered_at"),
    dead_at=bindparam("dead_at"), lease_owner=None, lease_until=None)


_earlier = deliveries.alias("earlier")
_EARLIER_PENDING = exists().where(and_(_earlier.c.case_system == deliveries.c.case_system,
                                       _earlier.c.case_key == deliveries.c.case_key,
                                       _earlier.c.status == DeliveryStatus.PENDING,
                                       _earlier.c.id < deliveries.c.id))
_NOT_LEASED = or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < bindparam("now"))
# The heads of the queue: pending, endpoint enabled, not being sent, and first of their case.
_HEADS = (select(deliveries, case_systems.c.webhook_url, case_systems.c.secret, case_systems.c.previous_secret,
                 case_systems.c.internal)
          .join(case_systems, case_systems.c.name == deliveries.c.case_system)
          .where(deliveries.c.status == DeliveryStatus.PENDING, case_systems.c.enabled.is_(True), _NOT_LEASED,
                 deliveries.c.case_system.not_in(bindparam("busy", expanding=True)), ~_EARLIER_PENDING)
          .order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(bindparam("limit"))
          # PostgreSQL: rows another worker is claiming right now are skipped, not waited for (SQLite: ignored,
          # its writers take turns on the whole database).
          .with_for_update(skip_locked=True, of=deliveries))
_CLAIM = (deliveries.update()
          .where(deliveries.c.id.in_(bindparam("ids", expanding=True)),
                 deliveries.c.status == DeliveryStatus.PENDING,
                 _NOT_LEASED)
          .values(lease_owner=bindparam("token"), lease_until=bindparam("until")))
_CLAIMED = (select(deliveries, case_systems.c.webhook_url, case_systems.c.secret, case_systems.c.previous_secret,
                   case_systems.c.internal)
            .join(case_systems, case_systems.c.name == deliveries.c.case_system)
            .where(deliveries.c.lease_owner == bindparam("token")).order_by(deliveries.c.id))


class DeliveryWorker:
    def __init__(self, db: Database, *, clock: Clock | None = None, policy: RetryPolicy | None = None,
                 client: httpx.Client | None = None, max_in_flight: int = 16, max_per_system: int = 8,
                 poll_interval_s: float = 0.5,
                 request_timeout_s: float = 10.0, signing_time: Callable[[], float] | None = None,
                 rng: random.Random | None = None, owner: str | None = None):
        self.db = db
        self.clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self._client = client
        self._executor: ThreadPoolExecutor | None = None
        self.max_in_flight = max_in_flight
        # A slow or hanging case system may hold at most this many of the slots, so the
        # others keep flowing.  Few slots on purpose: at 100 confirmations/s of ~5 ms
        # each, more threads only add GIL contention (measured: p99 worse with 32).
        self.max_per_system = max(1, min(max_per_system, max_in_flight))
        self._busy: Counter[str] = Counter()
        self._busy_lock = threading.Lock()
        self.poll_interval_s = poll_interval_s
        self.request_timeout_s = request_timeout_s
        self.signing_time = signing_time or self.clock.now
        self.rng = rng or random.Random()
        self.owner = re.sub(r"[^A-Za-z0-9._-]", "_", owner or f"worker-{uuid.uuid4().hex[:8]}")[:40]
        self._life = uuid.uuid4().hex[:8]        # this process's leases are "<owner>:<life>.<scan>"
        self._own_name = False                   # holding the owner name's lock (see run())
        self._take_back_until = 0.0              # the previous life's leases are all gone by then
        self._gauges_at = 0.0

    # -- database steps (synchronous; run in a thread) ---------------------------------

    def _scan(self, now: float, capacity: int) -> tuple[list[dict[str, Any]], float | None]:
        """Claim up to `capacity` due rows; returns them and when the next one is due."""
        now_s = stamp(now)
        with self._busy_lock:
            busy = {name for name, n in self._busy.items() if n >= self.max_per_system}
        with self.db.begin() as conn:
            heads = conn.execute(_HEADS, {"now": now_s, "limit": capacity + 1, "busy": sorted(busy)}).mappings().all()
            due, later, per_system = [], [], Counter()
            with self._busy_lock:
                for head in heads:
                    if head["next_attempt_at"] > now_s:
                        later.append(unstamp(head["next_attempt_at"]))
                    elif self._busy[head["case_system"]] + per_system[head["case_system"]] < self.max_per_system:
                        due.append(head)
                        per_system[head["case_system"]] += 1
                self._busy.update(per_system)    # released in _deliver, whatever happens
            next_due = now if len(due) > capacity else (min(later) if later else None)
            self._release_rows(due[capacity:])
            due = due[:capacity]
            if not due:
                return [], next_due
            token = f"{self.owner}:{self._life}.{uuid.uuid4().hex[:8]}"
            try:
                claimed = conn.execute(_CLAIM, {"ids": [r["id"] for r in due], "now": now_s, "token": token,
                                                "until": stamp(now + self.request_timeout_s + LEASE_MARGIN_S)}
                                       ).rowcount
                if claimed == len(due):
                    rows = [dict(r) for r in due]
                else:   # another hub worker took some between our read and our claim
                    rows = [dict(r) for r in conn.execute(_CLAIMED, {"token": token}).mappings()]
                for row in rows:
                    row["lease_owner"] = token
            except BaseException:
                self._release_rows(due)
                raise
        taken = {r["id"] for r in rows}
        self._release_rows([r for r in due if r["id"] not in taken])
        return rows, next_due

    def _release_rows(self, rows) -> None:
        with self._busy_lock:
            for row in rows:
                self._busy[row["case_system"]] -= 1

    def _release(self, case_system: str) -> None:
        with self._busy_lock:
            self._busy[case_system] -= 1

    def _record(self, row: dict[str, Any], status: int | None, retry_after: str | None, error: str | None,
                duration_ms: int) -> str:
        now = self.clock.now()
        now_s = stamp(now)
        values: dict[str, Any] = {
            "row_id": row["id"], "lease_token": row["lease_owner"], "attempts": row["attempts"] + 1,
            "last_attempt_at": now_s, "last_status": status,
            "last_error": error, "status": row["status"], "next_attempt_at": row["next_attempt_at"],
            "delivered_at": row["delivered_at"], "dead_at": row["dead_at"]}
        next_at = None
        with self.db.begin() as conn:
            if status is not None and 200 <= status < 300:
                outcome = "delivered"
                values.update(status=DeliveryStatus.DELIVERED, delivered_at=now_s, last_error=None)
            elif status == 410:
                outcome = "gone"
                registry.disable_gone(conn, row["case_system"],
                                      f"answered 410 Gone at {now_s} to {row['webhook_id']}: the endpoint is "
                                      "disabled; enable it again once the case system is fixed")
                values.update(next_attempt_at=now_s)
            elif now - unstamp(row["window_started_at"]) >= self.policy.give_up_after_s:
                outcome = "dead"
                values.update(status=DeliveryStatus.DEAD, dead_at=now_s)
            else:
                outcome = "retry"
                wait = self.policy.retry_after(retry_after, now)
                if wait is None:
                    wait = self.policy.backoff(row["attempts"] + 1, self.rng)
                next_at = stamp(now + wait)
                values.update(next_attempt_at=next_at)
            if conn.execute(_RECORD_OUTCOME, values).rowcount != 1:
                # Our lease ran out and another worker took the row: its attempt decides, not ours.
                outcome = "lease_lost"
            conn.execute(delivery_attempts.insert(), {
                "delivery_id": row["id"], "at": now_s, "http_status": status, "error": error,
                "duration_ms": duration_ms, "outcome": outcome, "next_attempt_at": next_at})
        metrics.ATTEMPTS.labels(outcome).inc()
        if outcome == "lease_lost":
            log.warning("confirmation %s (event %s): this worker's lease ran out before its answer came; another "
                        "worker has the row, this attempt changed nothing", row["webhook_id"], row["event_id"])
        elif outcome == "delivered":
            metrics.DELIVERED.inc()
            metrics.DELIVERY_SECONDS.observe(max(0.0, now - unstamp(row["window_started_at"])))
        elif outcome == "dead":
            metrics.DEAD_LETTERED.inc()
            log.warning("confirmation %s (event %s) is a dead letter after %d attempts: %s",
                        row["webhook_id"], row["event_id"], values["attempts"], error)
        elif outcome == "gone":
            log.warning("case system %s answered 410 Gone: endpoint disabled", row["case_system"])
        return outcome

    def _maintain(self) -> None:
        """Once a second: the backlog gauges, routing confirmations another hub process
        queued unrouted while its registry cache was stale, and taking back the leases of
        this worker name's previous life."""
        with self.db.begin() as conn:
            counts = metrics.refresh_gauges(conn)
            if counts.get(DeliveryStatus.UNROUTED):
                route_recent(conn, since=stamp(time.time() - 5 * registry.CACHE_TTL_S))
            if self._own_name and self.clock.now() <= self._take_back_until:
                self._take_back_previous_leases(conn)

    def _take_back_previous_leases(self, conn) -> int:
        # Claimed more than request_timeout_s ago (a lease runs request_timeout_s + LEASE_MARGIN_S from
        # its claim): whatever was sent under them has timed out.
        claimed_before = stamp(self.clock.now() + LEASE_MARGIN_S)
        taken = conn.execute(deliveries.update()
                             .where(deliveries.c.lease_owner.startswith(f"{self.owner}:", autoescape=True),
                                    ~deliveries.c.lease_owner.startswith(f"{self.owner}:{self._life}.",
                                                                         autoescape=True),
                                    deliveries.c.lease_until <= claimed_before)
                             .values(lease_owner=None, lease_until=None)).rowcount
        if taken:
            log.info("took back %d confirmations leased by this worker's (%s) previous life", taken, self.owner)
        return taken

    # -- HTTP ------------------------------------------------------------------------
    # Each attempt (POST, then recording the outcome) runs on a thread of our own pool
    # with a synchronous httpx client: measured here, httpx's async stack (anyio) cost
    # ~10 ms of CPU per request, the synchronous one a fraction of that.

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.request_timeout_s,
                                        limits=httpx.Limits(max_connections=self.max_in_flight * 2,
                                                            max_keepalive_connections=self.max_in_flight * 2))
        return self._client

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.max_in_flight + 1,
                                                thread_name_prefix="delivery")
        return self._executor

    def _deliver(self, row: dict[str, Any]) -> str:
        try:
            return self._post_and_record(row)
        except Exception:
            # Most likely the database failed while recording: the lease runs out and the
            # row is sent again with the same webhook id (receivers deduplicate by it).
            log.exception("delivery of %s (event %s) could not be recorded; it will be retried",
                          row["webhook_id"], row["event_id"])
            return "error"
        finally:
            self._release(row["case_system"])

    def _post_and_record(self, row: dict[str, Any]) -> str:
        body = row["payload"].encode("utf-8")
        headers = {**webhooks.signed_headers(registry.signing_secrets(row), row["webhook_id"],
                                             int(self.signing_time()), body),
                   "content-type": "application/json", "user-agent": "counterpay-hub"}
        started = time.monotonic()
        status = retry_after = error = None
        try:
            # Checked before every attempt, not only at registration: DNS answers change.
            check_target(row["webhook_url"], internal=bool(row["internal"]))
            response = self._http().post(row["webhook_url"], content=body, headers=headers)
            status, retry_after = response.status_code, response.headers.get("retry-after")
            if not 200 <= status < 300:
                # Auditors read last_error: keep the status and a masked excerpt, never the whole body.
                error = answer_excerpt(response)
        except InternalTarget as exc:
            error = f"not sent: {exc}"[:400]
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:400]
        duration_ms = int((time.monotonic() - started) * 1000)
        return self._record(row, status, retry_after, error, duration_ms)

    async def _attempt(self, row: dict[str, Any]) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool(), self._deliver, row)

    async def _in_pool(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool(), fn, *args)

    # -- driving ---------------------------------------------------------------------

    async def run_once(self) -> float | None:
        """Send every row due now and wait for the answers; returns when to call again
        (now when something was sent, since later rows of those cases may be due)."""
        claimed, next_due = await self._in_pool(self._scan, self.clock.now(), self.max_in_flight)
        if claimed:
            await asyncio.gather(*(self._attempt(row) for row in claimed))
            return self.clock.now()
        return next_due

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver until `stop` is set."""
        with contextlib.ExitStack() as held:
            self._own_name = await asyncio.to_thread(
                held.enter_context, locks.held_alone(self.db, f"delivery-worker.{self.owner}"))
            # The previous life's leases ran from claims before this start: all are over by then.
            self._take_back_until = self.clock.now() + self.request_timeout_s + LEASE_MARGIN_S + GAUGE_REFRESH_S
            if not self._own_name:
                log.warning("another delivery worker named %s is running: name each worker apart "
                            "(hub serve --worker NAME)", self.owner)
            try:
                await self._run(stop)
            finally:
                self._own_name = False

    async def _run(self, stop: asyncio.Event | None) -> None:
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        wakeup.subscribe(loop, wake)
        listener = None
        if self.db.dialect_name == "postgresql":
            def woken_by_commit() -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(wake.set)
            listener = wakeup.PostgresListener(self.db.engine.url, woken_by_commit).start()
        inflight: set[asyncio.Task] = set()
        rescans: list[float] = []
        woken = True
        try:
            while not stop.is_set():
                claimed, next_due = [], None
                capacity = self.max_in_flight - len(inflight)
                if capacity > 0:
                    try:
                        claimed, next_due = await self._in_pool(self._scan, self.clock.now(), capacity)
                    except Exception:   # a database hiccup must not end delivery: log and poll again
                        log.exception("delivery scan failed; retrying at the next poll")
                if time.monotonic() - self._gauges_at >= GAUGE_REFRESH_S:
                    self._gauges_at = time.monotonic()
                    try:
                        await self._in_pool(self._maintain)
                    except Exception:
                        log.exception("delivery gauges/routing failed; trying again in a second")
                for row in claimed:
                    task = asyncio.create_task(self._attempt(row))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
                if woken:
                    rescans = [] if claimed else list(RESCAN_AFTER_WAKE_S)
                    woken = False
                timeout = self.poll_interval_s
                if next_due is not None:
                    timeout = min(timeout, max(0.0, next_due - self.clock.now()))
                if rescans:
                    timeout = min(timeout, rescans.pop(0))
                waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait()),
                           asyncio.ensure_future(self.clock.sleep(timeout))}
                done, _ = await asyncio.wait(waiters | inflight, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
                if wake.is_set():
                    wake.clear()
                    woken = True
        finally:
            wakeup.unsubscribe(wake)
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)

    async def aclose(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


def worker_options(section: DeliverySettings) -> dict[str, Any]:
    """DeliveryWorker's keyword arguments from the [delivery] section of the hub configuration."""
    policy = RetryPolicy(first_delay_s=section.first_retry_s, max_delay_s=section.max_backoff_s,
                         give_up_after_s=section.give_up_after_hours * 3600)
    return {"policy": policy, "poll_interval_s": section.poll_interval_s, "max_in_flight": section.max_in_flight,
            "max_per_system": section.max_per_system, "request_timeout_s": section.request_timeout_s}


class BackgroundDelivery:
    """The worker on its own thread and event loop, for `counterpay hub serve` and benches.

        delivery = BackgroundDelivery(db, **worker_options(settings.delivery)).start()
        …
        delivery.stop()
    """

    def __init__(self, db: Database, **worker_options: Any):
        self.db = db
        self.worker_options = worker_options
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    def start(self) -> "BackgroundDelivery":
        self._thread = threading.Thread(target=self._main, name="delivery-worker", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            worker = DeliveryWorker(self.db, **self.worker_options)
            self._ready.set()
            try:
                await worker.run(self._stop)
            finally:
                await worker.aclose()
        asyncio.run(main())

    def stop(self, timeout_s: float = 15.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout_s)
