"""The delivery worker against the real case-system simulator over real HTTP.

Virtual time (FakeClock) drives the schedule; signatures carry real time so the
simulator checks them with its normal 5-minute tolerance.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from itertools import pairwise

import pytest
from sqlalchemy import select

from hub.delivery.clock import FakeClock, unstamp
from hub.delivery.policy import RetryPolicy
from hub.delivery.worker import DeliveryWorker
from hub.store.tables_delivery import case_systems, deliveries, delivery_attempts
from protocol import webhooks
from tests.support.case_system import CaseSystemSim
from tests.support.delivery import drive, enqueue, register
from tests.support.waiting import wait_until_async


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    process = CaseSystemSim(tmp_path_factory.mktemp("casesim")).start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _sim_ok(sim):
    sim.set_mode(mode="ok")
    yield
    sim.set_mode(mode="ok")


def _worker(db, clock, **kw):
    return DeliveryWorker(db, clock=clock, signing_time=time.time, rng=random.Random(7), **kw)


def _row(db, event_id):
    with db.connect() as conn:
        return conn.execute(select(deliveries).where(deliveries.c.event_id == event_id)).mappings().one()


def _for(sim, webhook_id):
    return [r for r in sim.received() if r["webhook_id"] == webhook_id]


async def test_confirmation_arrives_signed_with_the_documented_payload(hub_db, sim):
    register(hub_db, sim)
    clock = FakeClock()
    event_id, webhook_id = enqueue(hub_db, "VR-100", 4500, now=clock.now())
    await drive(_worker(hub_db, clock), clock, until=clock.now() + 60)
    [got] = _for(sim, webhook_id)
    assert got["verified"] and got["answered"] == 204
    body = got["body"]
    assert body["type"] == "payment.confirmed"
    assert body["data"]["event_id"] == event_id
    assert body["data"]["payment"]["amount_minor"] == 4500
    assert body["data"]["link"]["case_ref"] == "VR-100"
    assert _row(hub_db, event_id)["status"] == "delivered"


async def test_secret_rotation_signs_with_both_and_the_old_secret_still_verifies(hub_db, sim, tmp_path):
    new = webhooks.new_secret()
    register(hub_db, sim, secrets=[new, sim.secrets[0]])   # the simulator only knows the old one
    clock = FakeClock()
    _, webhook_id = enqueue(hub_db, "VR-101", now=clock.now())
    await drive(_worker(hub_db, clock), clock, until=clock.now() + 60)
    [got] = _for(sim, webhook_id)
    assert got["verified"] and got["answered"] == 204


async def test_a_wrong_secret_is_refused_and_retried_not_dropped(hub_db, sim):
    register(hub_db, sim, secrets=[webhooks.new_secret()])
    clock = FakeClock()
    event_id, webhook_id = enqueue(hub_db, "VR-102", now=clock.now())
    await drive(_worker(hub_db, clock), clock, until=clock.now() + 10)
    records = _for(sim, webhook_id)
    assert records and all(not r["verified"] and r["answered"] == 401 for r in records)
    row = _row(hub_db, event_id)
    assert row["status"] == "pending" and row["last_status"] == 401


async def test_failures_are_retried_with_the_same_webhook_id_and_body(hub_db, sim):
    register(hub_db, sim)
    sim.set_mode(mode="fail", status=500, count=3)
    clock = FakeClock()
    event_id, webhook_id = enqueue(hub_db, "VR-103", now=clock.now())
    await drive(_worker(hub_db, clock), clock, until=clock.now() + 3600)
    records = _for(sim, webhook_id)
    assert [r["answered"] for r in records] == [500, 500, 500, 204]
    assert [r["attempt"] for r in records] == [1, 2, 3, 4]
    assert len({json.dumps(r["body"], sort_keys=True) for r in records}) == 1
    row = _row(hub_db, event_id)
    assert row["status"] == "delivered" and row["attempts"] == 4


async def test_backoff_grows_within_the_schedule(hub_db, sim):
    register(hub_db, sim)
    sim.set_mode(mode="fail", status=503, count=6)
    clock = FakeClock()
    policy = RetryPolicy()
    event_id, _ = enqueue(hub_db, "VR-104", now=clock.now())
    await drive(_worker(hub_db, clock, policy=policy), clock, until=clock.now() + 3600)
    row = _row(hub_db, event_id)
    with hub_db.connect() as conn:
        times = [unstamp(a.at) for a in conn.execute(
            select(delivery_attempts.c.at).where(delivery_attempts.c.delivery_id == row["id"])
            .order_by(delivery_attempts.c.id))]
    gaps = [b - a for a, b in pairwise(times)]
    assert len(gaps) == 6
    for failures, gap in enumerate(gaps, start=1):
        scheduled = policy.scheduled_delay(failures)
        assert scheduled * (1 - policy.jitter) - 0.01 <= gap <= scheduled + 0.01


async def test_retry_after_is_honoured(hub_db, sim):
    register(hub_db, sim)
    sim.set_mode(mode="fail", status=503, count=1, retry_after=120)
    clock = FakeClock()
    event_id, webhook_id = enqueue(hub_db, "VR-105", now=clock.now())
    worker = _worker(hub_db, clock)
    sent_at = clock.now()
    await worker.run_once()
    row = _row(hub_db, event_id)
    assert row["last_status"] == 503
    assert unstamp(row["next_attempt_at"]) - sent_at == pytest.approx(120, abs=0.01)
    clock.advance(119)
    await worker.run_once()
    assert len(_for(sim, webhook_id)) == 1        # not before Retry-After
    await drive(worker, clock, until=clock.now() + 60)
    assert [r["answered"] for r in _for(sim, webhook_id)] == [503, 204]


async def test_410_disables_the_endpoint_and_its_confirmations_wait_until_enabled(hub_db, sim):
    from hub.casesys import registry
    register(hub_db, sim)
    sim.set_mode(mode="gone")
    clock = FakeClock()
    first, first_id = enqueue(hub_db, "VR-106", now=clock.now())
    second, second_id = enqueue(hub_db, "VR-107", now=clock.now())
    worker = _worker(hub_db, clock)
    await drive(worker, clock, until=clock.now() + 6 * 3600)
    with hub_db.connect() as conn:
        system = conn.execute(select(case_systems)).mappings().one()
    assert not system["enabled"] and "410" in system["disabled_reason"]
    # Six virtual hours later nothing more was sent: the endpoint stays off (both were in flight together).
    assert [r["answered"] for r in _for(sim, first_id)] == [r["answered"] for r in _for(sim, second_id)] == [410]
    assert _row(hub_db, first)["status"] == _row(hub_db, second)["status"] == "pending"
    sim.set_mode(mode="ok")
    with hub_db.begin() as conn:
        registry.update(conn, "vr", registry.CaseSystemUpdate(enabled=True), "test")
    await drive(worker, clock, until=clock.now() + 60)
    assert _row(hub_db, first)["status"] == _row(hub_db, second)["status"] == "delivered"
    assert [r["answered"] for r in _for(sim, first_id)] == [r["answered"] for r in _for(sim, second_id)] \
        == [410, 204]


async def test_per_case_order_holds_while_other_cases_flow(hub_db, sim):
    from hub.casesys import registry
    from tests.support.broker import free_port
    register(hub_db, sim, name="vr")
    with hub_db.begin() as conn:      # case A's system is down (nothing listens there)
        registry.create(conn, registry.CaseSystemCreate(
            name="down", patterns=[{"on": "case_ref", "regex": "A-.*"}],
            webhook_url=f"http://127.0.0.1:{free_port()}/webhook", secret=sim.secrets[0], internal=True), "test")
    clock = FakeClock()
    a1, a1_id = enqueue(hub_db, "A-1", 100, now=clock.now())
    a2, a2_id = enqueue(hub_db, "A-1", 200, now=clock.now())
    a3, a3_id = enqueue(hub_db, "A-1", 300, now=clock.now())
    b1, b1_id = enqueue(hub_db, "VR-B", 400, now=clock.now())
    worker = _worker(hub_db, clock)
    await drive(worker, clock, until=clock.now() + 600)
    assert _row(hub_db, b1)["status"] == "delivered"
    assert _row(hub_db, a1)["status"] == "pending" and _row(hub_db, a1)["attempts"] >= 5
    assert _row(hub_db, a2)["attempts"] == 0 and _row(hub_db, a3)["attempts"] == 0
    with hub_db.begin() as conn:
        registry.update(conn, "down", registry.CaseSystemUpdate(webhook_url=sim.webhook_url), "test")
    await drive(worker, clock, until=clock.now() + 3600)
    accepted = [r["webhook_id"] for r in sim.accepted() if r["webhook_id"] in (a1_id, a2_id, a3_id)]
    assert accepted == [a1_id, a2_id, a3_id]


async def test_dead_letter_after_the_retry_window_then_replay_by_event_id(hub_db, sim):
    from hub.delivery.replay import replay
    register(hub_db, sim)
    sim.set_mode(mode="fail", status=500)
    clock = FakeClock()
    # The default 72 h window, with backoff capped at 6 h instead of 1 h: fewer steps to simulate.
    policy = RetryPolicy(give_up_after_s=72 * 3600, max_delay_s=6 * 3600)
    event_id, webhook_id = enqueue(hub_db, "VR-108", now=clock.now())
    later, later_id = enqueue(hub_db, "VR-108", now=clock.now() + 0.001)
    worker = _worker(hub_db, clock, policy=policy)
    started = clock.now()
    await drive(worker, clock, until=started + 80 * 3600)
    row = _row(hub_db, event_id)
    assert row["status"] == "dead"
    assert unstamp(row["dead_at"]) - started >= 72 * 3600
    # A dead letter does not block its case for ever: the later confirmation went on (and failed too).
    assert _row(hub_db, later)["attempts"] > 0
    sim.set_mode(mode="ok")
    with hub_db.begin() as conn:
        result = replay(conn, actor="test", event_ids=[event_id, "no-such-event"], now=clock.now())
    assert result["replayed"] == [event_id] and result["not_found"] == ["no-such-event"]
    await drive(worker, clock, until=clock.now() + 3600)
    assert _row(hub_db, event_id)["status"] == "delivered"
    assert {r["webhook_id"] for r in _for(sim, webhook_id)} == {webhook_id}
    assert _for(sim, webhook_id)[-1]["answered"] == 204


async def test_run_wakes_up_on_enqueue_instead_of_waiting_for_the_poll(hub_db, sim):
    register(hub_db, sim)
    worker = DeliveryWorker(hub_db, poll_interval_s=30.0)
    stop = asyncio.Event()
    runner = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.2)
    event_id, webhook_id = await asyncio.to_thread(enqueue, hub_db, "VR-109")
    try:            # 10 s is far below the 30 s poll: only the wake-up can deliver in time
        await wait_until_async(lambda: _row(hub_db, event_id)["status"] == "delivered", 10, "the delivery")
    finally:
        stop.set()
        await runner
        await worker.aclose()
    assert [r["answered"] for r in _for(sim, webhook_id)] == [204]


async def test_a_hanging_case_system_cannot_take_every_slot(hub_db, sim):
    import socket
    from hub.casesys import registry
    hang = socket.socket()                  # accepts connections (kernel backlog), never answers
    hang.bind(("127.0.0.1", 0))
    hang.listen(64)
    try:
        with hub_db.begin() as conn:
            registry.create(conn, registry.CaseSystemCreate(
                name="hang", patterns=[{"on": "case_ref", "regex": "H-.*"}],
                webhook_url=f"http://127.0.0.1:{hang.getsockname()[1]}/webhook", secret=sim.secrets[0],
                internal=True), "test")
        register(hub_db, sim)
        hanging = [enqueue(hub_db, f"H-{n}")[0] for n in range(6)]       # queued first: first in line
        event_id, _ = enqueue(hub_db, "VR-110")
        worker = DeliveryWorker(hub_db, max_in_flight=4, max_per_system=2, request_timeout_s=20.0)
        stop = asyncio.Event()
        runner = asyncio.create_task(worker.run(stop))
        try:
            await wait_until_async(lambda: _row(hub_db, event_id)["status"] == "delivered", 15,
                                   "the delivery past the hanging case system")
            # The hanging requests are still waiting for their 20 s timeout: none has an outcome yet.
            untouched = all(_row(hub_db, e)["attempts"] == 0 for e in hanging)
        finally:
            stop.set()
    finally:
        hang.close()                        # resets the waiting connections: the worker's threads end
    await asyncio.wait_for(runner, 30)
    await worker.aclose()
    assert untouched


async def test_on_postgresql_a_commit_in_another_process_wakes_the_worker(hub_db, sim, monkeypatch):
    if hub_db.dialect_name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite processes find each other's rows by polling")
    from hub.delivery import wakeup
    register(hub_db, sim)
    worker = DeliveryWorker(hub_db, poll_interval_s=30.0)
    stop = asyncio.Event()
    runner = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.5)
    monkeypatch.setattr(wakeup, "notify", lambda: None)      # as if queued by another process
    event_id, _ = await asyncio.to_thread(enqueue, hub_db, "VR-111")
    try:            # 10 s is far below the 30 s poll: only NOTIFY can deliver in time
        await wait_until_async(lambda: _row(hub_db, event_id)["status"] == "delivered", 10, "the delivery")
    finally:
        stop.set()
        await runner
        await worker.aclose()


async def test_rows_claimed_by_a_worker_that_died_are_sent_by_another_after_the_lease(hub_db, sim):
    register(hub_db, sim)
    clock = FakeClock()
    event_id, webhook_id = enqueue(hub_db, "VR-112", now=clock.now())
    dead = _worker(hub_db, clock, owner="dead-worker")
    claimed, _ = dead._scan(clock.now(), 4)            # claimed, then the process is killed
    assert [r["event_id"] for r in claimed] == [event_id]
    other = _worker(hub_db, clock, owner="other-worker")
    await other.run_once()
    assert _for(sim, webhook_id) == []                 # the lease still holds: not sent twice at once
    clock.advance(other.request_timeout_s + 31)
    await drive(other, clock, until=clock.now() + 60)
    assert [r["answered"] for r in _for(sim, webhook_id)] == [204]
    assert _row(hub_db, event_id)["status"] == "delivered"
