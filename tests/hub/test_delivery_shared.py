"""Delivery workers sharing one database (hub/delivery/worker.py), against the real case-system
simulator: rows claimed by one are not sent by another, per-case order holds across
workers, an answer that comes after its lease ran out changes nothing, and a worker
restarted under its name takes back its previous life's leases once their requests are over."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import defaultdict

import pytest
from sqlalchemy import select, text

from hub.delivery.clock import FakeClock, SystemClock
from hub.delivery.worker import LEASE_MARGIN_S, DeliveryWorker
from hub.store.tables_delivery import deliveries, delivery_attempts
from tests.support.case_system import CaseSystemSim
from tests.support.delivery import drive, enqueue, register
from tests.support.waiting import wait_until_async

pytestmark = pytest.mark.timeout(120)


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


class StillClock(FakeClock):
    """Virtual time that moves only when the test says so, also while the worker sleeps."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.05))


def _worker(db, clock=None, **kw):
    return DeliveryWorker(db, clock=clock or SystemClock(), signing_time=time.time, rng=random.Random(7), **kw)


def _row(db, event_id):
    with db.connect() as conn:
        return conn.execute(select(deliveries).where(deliveries.c.event_id == event_id)).mappings().one()


def _for(sim, webhook_id):
    return [r for r in sim.received() if r["webhook_id"] == webhook_id]


def test_on_postgresql_a_scan_skips_rows_another_worker_is_claiming_without_waiting(hub_db, sim):
    if hub_db.dialect_name != "postgresql":
        pytest.skip("SQLite writers take turns on the whole database")
    register(hub_db, sim)
    clock = FakeClock()
    busy, _ = enqueue(hub_db, "VR-201", now=clock.now())
    free, _ = enqueue(hub_db, "VR-202", now=clock.now())
    claiming, holding = threading.Event(), threading.Event()

    def another_worker_mid_claim() -> None:     # its claim's transaction, not committed yet
        with hub_db.engine.begin() as conn:
            conn.execute(text("SELECT id FROM deliveries WHERE event_id = :e FOR UPDATE"), {"e": busy})
            claiming.set()
            holding.wait(20)

    thread = threading.Thread(target=another_worker_mid_claim)
    thread.start()
    try:
        assert claiming.wait(10)
        started = time.monotonic()
        claimed, _ = _worker(hub_db, clock)._scan(clock.now(), 8)
        took = time.monotonic() - started
    finally:
        holding.set()
        thread.join(10)
    assert [r["event_id"] for r in claimed] == [free]
    assert took < 2.0, f"the scan waited {took:.1f}s for the other worker's lock"


async def test_an_answer_after_the_lease_ran_out_changes_nothing(hub_db, sim):
    register(hub_db, sim)
    clock = FakeClock()
    event_id, webhook_id = enqueue(hub_db, "VR-203", now=clock.now())
    slow = _worker(hub_db, clock, owner="slow")
    (row,), _ = slow._scan(clock.now(), 4)                # sent, and its answer is very late
    clock.advance(slow.request_timeout_s + LEASE_MARGIN_S + 1)
    other = _worker(hub_db, clock, owner="other")
    await drive(other, clock, until=clock.now() + 60)
    assert _row(hub_db, event_id)["status"] == "delivered"
    assert slow._record(row, 500, None, "HTTP 500 (late)", 12_000) == "lease_lost"
    after = _row(hub_db, event_id)
    assert after["status"] == "delivered" and after["last_status"] == 204 and after["lease_owner"] is None
    with hub_db.connect() as conn:
        outcomes = list(conn.execute(select(delivery_attempts.c.outcome).order_by(delivery_attempts.c.id)).scalars())
    assert outcomes == ["delivered", "lease_lost"]
    assert [r["answered"] for r in _for(sim, webhook_id)] == [204]


async def test_a_worker_restarted_under_its_name_takes_back_its_leases_once_their_requests_are_over(hub_db, sim):
    register(hub_db, sim)
    clock = StillClock()
    event_id, webhook_id = enqueue(hub_db, "VR-204", now=clock.now())
    dead = _worker(hub_db, clock, owner="hub-out-1", request_timeout_s=5.0)
    dead._scan(clock.now(), 4)                            # claimed, then killed -9
    reborn = _worker(hub_db, clock, owner="hub-out-1", request_timeout_s=5.0)
    stranger = _worker(hub_db, clock, owner="hub-out-2", request_timeout_s=5.0)
    stop = asyncio.Event()
    runners = [asyncio.create_task(reborn.run(stop)), asyncio.create_task(stranger.run(stop))]
    try:
        await wait_until_async(lambda: reborn._own_name, 10, "the reborn worker holding its name")
        await asyncio.sleep(1.5)
        assert _for(sim, webhook_id) == []                # its request may still be at the case system
        clock.advance(5.5)                                # past its time limit, long before the lease's end
        await wait_until_async(lambda: _row(hub_db, event_id)["status"] == "delivered", 15,
                               "the previous life's row delivered after the time limit")
    finally:
        stop.set()
        await asyncio.gather(*runners)
        await reborn.aclose()
        await stranger.aclose()
    assert [r["answered"] for r in _for(sim, webhook_id)] == [204]


async def test_a_second_worker_of_one_name_does_not_take_its_leases(hub_db, sim):
    first = _worker(hub_db, owner="hub-twin")
    second = _worker(hub_db, owner="hub-twin")
    stop = asyncio.Event()
    runners = [asyncio.create_task(first.run(stop))]
    try:
        await wait_until_async(lambda: first._own_name, 10, "the first worker holding its name")
        runners.append(asyncio.create_task(second.run(stop)))
        await asyncio.sleep(0.5)
        assert second._own_name is False
    finally:
        stop.set()
        await asyncio.gather(*runners)
        await first.aclose()
        await second.aclose()


async def test_three_workers_at_once_send_each_confirmation_once_and_each_case_in_order(hub_db, sim):
    register(hub_db, sim)
    sim.set_mode(mode="slow", delay_s=0.02)               # long enough for overlaps to show, were there any
    queued: dict[str, list[str]] = defaultdict(list)
    for n in range(60):
        case = f"VR-3{n % 6:02d}"
        queued[case].append(enqueue(hub_db, case, 100 + n)[1])
    workers = [_worker(hub_db, owner=f"hub-out-{n}", max_in_flight=4, poll_interval_s=0.05) for n in range(3)]
    stop = asyncio.Event()
    runners = [asyncio.create_task(w.run(stop)) for w in workers]
    wanted = {w for ids in queued.values() for w in ids}
    try:
        await wait_until_async(lambda: wanted <= {r["webhook_id"] for r in sim.received() if r["answered"] == 204},
                               60, "every confirmation accepted")
    finally:
        stop.set()
        await asyncio.gather(*runners)
        for worker in workers:
            await worker.aclose()
    records = [r for r in sim.received() if r["webhook_id"] in wanted]
    assert len(records) == len(wanted), "each confirmation sent once, by one worker"
    assert not [r for r in records if r["overlapped"]], "no two requests of one case in flight at once"
    for case, ids in queued.items():
        assert [r["webhook_id"] for r in records if r["case_ref"] == case] == ids, f"{case} out of order"
    with hub_db.connect() as conn:
        owners = set(conn.execute(select(delivery_attempts.c.delivery_id)).scalars())
    assert len(owners) == len(wanted)


def test_on_postgresql_two_workers_queuing_for_one_case_take_turns_so_ids_follow_commits(hub_db, sim):
    if hub_db.dialect_name != "postgresql":
        pytest.skip("SQLite writers take turns on the whole database")
    from hub.delivery.queue import enqueue_confirmation
    from tests.support.delivery import link, payment
    register(hub_db, sim)
    first_in, done = threading.Event(), []

    def queue(case: str, event_id: str, conn) -> None:
        enqueue_confirmation(conn, event_id=event_id, agent_id="lv-riga-1", payment=payment(case), link=link(case))

    def first_worker() -> None:
        with hub_db.begin() as conn:
            queue("VR-400", "ev-first", conn)
            first_in.set()
            time.sleep(0.6)            # a slow batch: not committed yet
            done.append("first committed")

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert first_in.wait(10)
    started = time.monotonic()
    with hub_db.begin() as conn:
        queue("VR-401", "ev-other-case", conn)         # another case does not wait
    assert time.monotonic() - started < 0.4 and not done
    with hub_db.begin() as conn:
        queue("VR-400", "ev-second", conn)             # the same case waits for the first commit
        done.append("second queued")
    thread.join(10)
    assert done == ["first committed", "second queued"]
    ids = {_row(hub_db, e)["event_id"]: _row(hub_db, e)["id"] for e in ("ev-first", "ev-second")}
    assert ids["ev-first"] < ids["ev-second"]
