"""Every [delivery] setting changes what the delivery worker `hub serve` builds does.

The worker comes from `hub.serve.build_delivery`: run as serve runs it against an
endpoint that never answers (concurrency, timeouts), or on virtual time against one
that refuses connections (the retry schedule).  Values differ from the defaults, so a
setting dropped on the way fails its test.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from itertools import pairwise

from sqlalchemy import select

from hub import serve
from hub.casesys import registry
from hub.config import Settings
from hub.delivery.clock import FakeClock, unstamp
from hub.delivery.worker import DeliveryWorker
from hub.store.db import Database
from hub.store.tables_delivery import deliveries, delivery_attempts
from tests.hub.config_support import settings_for
from tests.support.broker import free_port
from tests.support.delivery import drive, enqueue


class Unanswering:
    """An HTTP endpoint that accepts connections and never answers; counts the connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/webhook"

    def _accept(self) -> None:
        while True:
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        for connection in self.accepted:
            connection.close()
        self.sock.close()


def _case_system(db: Database, name: str, url: str, regex: str) -> None:
    with db.begin() as conn:
        registry.create(conn, registry.CaseSystemCreate(name=name, patterns=[{"on": "case_ref", "regex": regex}],
                                                        webhook_url=url, internal=True), "test")


def _row(db: Database, event_id: str) -> dict:
    with db.connect() as conn:
        return dict(conn.execute(select(deliveries).where(deliveries.c.event_id == event_id)).mappings().one())


def _connections_while_running(settings: Settings, queued: int, settle_s: float = 1.5) -> int:
    """Queue `queued` confirmations (separate cases) for an endpoint that never answers, run
    the delivery worker serve builds, and count the requests it has open at once."""
    context = serve.context_from_settings(settings)
    endpoint = Unanswering()
    _case_system(context.db, "hang", endpoint.url, r"H-.*")
    for n in range(queued):
        enqueue(context.db, f"H-{n}")
    delivery = serve.build_delivery(settings, context).start()
    try:
        deadline = time.monotonic() + 10
        while not endpoint.accepted and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(settle_s)                # time for more requests, were they allowed
        return len(endpoint.accepted)
    finally:
        endpoint.close()                    # resets the waiting requests: the worker stops at once
        delivery.stop()
        context.db.dispose()


def test_delivery_max_in_flight_limits_the_requests_at_once(tmp_path):
    assert _connections_while_running(settings_for(tmp_path, delivery={"max_in_flight": 2}), queued=6) == 2


def test_delivery_max_per_system_limits_the_requests_one_case_system_holds(tmp_path):
    assert _connections_while_running(settings_for(tmp_path, delivery={"max_per_system": 1}), queued=4) == 1


def test_delivery_request_timeout_s_ends_a_request_that_gets_no_answer(tmp_path):
    settings = settings_for(tmp_path, delivery={"request_timeout_s": 0.5})
    context = serve.context_from_settings(settings)
    endpoint = Unanswering()
    _case_system(context.db, "hang", endpoint.url, r"H-.*")
    event_id, _ = enqueue(context.db, "H-1")
    delivery = serve.build_delivery(settings, context).start()
    try:
        deadline = time.monotonic() + 5     # far below the default 10 s
        while _row(context.db, event_id)["attempts"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        row = _row(context.db, event_id)
    finally:
        endpoint.close()
        delivery.stop()
        context.db.dispose()
    assert row["attempts"] >= 1 and row["status"] == "pending"


class RecordingClock(FakeClock):
    """Virtual time that notes every wait the worker asks for, and stops it after `waits` of them."""

    def __init__(self, stop: asyncio.Event, waits: int):
        super().__init__()
        self.waits, self._stop, self._limit = [], stop, waits

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) >= self._limit:
            self._stop.set()
        await super().sleep(seconds)


async def test_delivery_poll_interval_s_is_how_long_an_idle_worker_waits(tmp_path):
    settings = settings_for(tmp_path, delivery={"poll_interval_s": 7})
    context = serve.context_from_settings(settings)
    options = serve.build_delivery(settings, context).worker_options
    stop = asyncio.Event()
    clock = RecordingClock(stop, waits=12)
    worker = DeliveryWorker(context.db, clock=clock, **options)
    await asyncio.wait_for(worker.run(stop), 20)
    await worker.aclose()
    context.db.dispose()
    # First the short looks right after start-up, then the poll interval, idle after idle.
    assert clock.waits[-3:] == [7, 7, 7]


def _refused_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}/webhook"   # nothing listens: every attempt fails at once


def _failing_worker(settings: Settings, clock: FakeClock):
    """The worker serve would build, on virtual time, for a case system that refuses connections."""
    context = serve.context_from_settings(settings)
    _case_system(context.db, "down", _refused_endpoint(), r"D-.*")
    options = serve.build_delivery(settings, context).worker_options
    return context, DeliveryWorker(context.db, clock=clock, signing_time=time.time, rng=random.Random(7), **options)


def _attempt_times(db: Database, event_id: str) -> list[float]:
    row_id = _row(db, event_id)["id"]
    with db.connect() as conn:
        return [unstamp(at) for at in conn.execute(select(delivery_attempts.c.at)
                                                   .where(delivery_attempts.c.delivery_id == row_id)
                                                   .order_by(delivery_attempts.c.id)).scalars()]


async def test_delivery_first_retry_s_is_the_first_wait_after_a_failure(tmp_path):
    clock = FakeClock()
    context, worker = _failing_worker(settings_for(tmp_path, delivery={"first_retry_s": 100}), clock)
    event_id, _ = enqueue(context.db, "D-1", now=clock.now())
    await worker.run_once()
    row = _row(context.db, event_id)
    await worker.aclose()
    context.db.dispose()
    assert row["attempts"] == 1
    assert 75 <= unstamp(row["next_attempt_at"]) - clock.now() <= 100     # up to 25 % jitter, never longer


async def test_delivery_max_backoff_s_caps_the_wait_between_attempts(tmp_path):
    clock = FakeClock()
    settings = settings_for(tmp_path, delivery={"first_retry_s": 1, "max_backoff_s": 5})
    context, worker = _failing_worker(settings, clock)
    event_id, _ = enqueue(context.db, "D-1", now=clock.now())
    await drive(worker, clock, until=clock.now() + 120)
    times = _attempt_times(context.db, event_id)
    await worker.aclose()
    context.db.dispose()
    gaps = [b - a for a, b in pairwise(times)]
    assert len(gaps) > 10 and max(gaps) <= 5.01 and max(gaps) >= 5 * 0.75


async def test_delivery_give_up_after_hours_is_when_a_confirmation_becomes_a_dead_letter(tmp_path):
    clock = FakeClock()
    settings = settings_for(tmp_path, delivery={"give_up_after_hours": 100, "max_backoff_s": 6 * 3600})
    context, worker = _failing_worker(settings, clock)
    started = clock.now()
    event_id, _ = enqueue(context.db, "D-1", now=started)
    await drive(worker, clock, until=started + 99 * 3600)
    still_trying = _row(context.db, event_id)["status"]
    await drive(worker, clock, until=started + 110 * 3600)
    row = _row(context.db, event_id)
    await worker.aclose()
    context.db.dispose()
    assert still_trying == "pending"            # the default 72 hours would have given up already
    assert row["status"] == "dead" and unstamp(row["dead_at"]) - started >= 100 * 3600
