"""The case system is down for 48 (virtual) hours; every confirmation arrives after it
returns, with the webhook id it was queued with, within the retry schedule.

The simulator process is really stopped (connections refused) and started again on
the same port; the worker runs on a FakeClock so 48 hours of hourly retries take seconds.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from itertools import pairwise

from sqlalchemy import select

from hub.delivery.clock import FakeClock, unstamp
from hub.delivery.policy import RetryPolicy
from hub.delivery.worker import DeliveryWorker
from hub.store.tables_delivery import deliveries, delivery_attempts
from tests.support.case_system import CaseSystemSim
from tests.support.delivery import drive, enqueue, register

HOUR = 3600.0


async def test_case_system_down_48_hours_then_everything_arrives(hub_db, tmp_path):
    sim = CaseSystemSim(tmp_path / "sim")
    register(hub_db, sim)
    policy = RetryPolicy()
    clock = FakeClock()
    t0 = clock.now()
    worker = DeliveryWorker(hub_db, clock=clock, policy=policy, signing_time=time.time, rng=random.Random(48))
    queued: dict[str, list[str]] = defaultdict(list)       # case → webhook ids in the order queued

    def queue_some(cases, per_case):
        for case in cases:
            for n in range(per_case):
                _, webhook_id = enqueue(hub_db, case, 1000 + n, now=clock.now())
                queued[case].append(webhook_id)

    # The simulator is down from the start; payments keep coming during the outage.
    queue_some(["VR-1", "VR-2", "VR-3", "VR-4"], 3)
    await drive(worker, clock, until=t0 + 6 * HOUR)
    queue_some(["VR-2", "VR-5"], 2)
    await drive(worker, clock, until=t0 + 30 * HOUR)
    queue_some(["VR-6"], 2)
    await drive(worker, clock, until=t0 + 48 * HOUR)

    with hub_db.connect() as conn:
        rows = conn.execute(select(deliveries)).mappings().all()
    assert len(rows) == 18 and all(r["status"] == "pending" for r in rows)
    assert max(r["attempts"] for r in rows) >= 40          # hourly retries all through the outage

    sim.start()
    returned_at = clock.now()
    try:
        await drive(worker, clock, until=returned_at + 6 * HOUR)
        accepted = sim.accepted()
        received = sim.received()
    finally:
        sim.stop()
        await worker.aclose()

    all_ids = [wid for ids in queued.values() for wid in ids]
    assert sorted(r["webhook_id"] for r in accepted) == sorted(all_ids)   # each once, same ids as queued
    assert not any(r["duplicate"] for r in received)
    assert all(r["verified"] for r in received)
    for case, ids in queued.items():
        assert [r["webhook_id"] for r in accepted if r["case_ref"] == case] == ids, f"order broken for {case}"

    with hub_db.connect() as conn:
        rows = conn.execute(select(deliveries)).mappings().all()
        attempts = conn.execute(select(delivery_attempts).order_by(delivery_attempts.c.id)).mappings().all()
    assert all(r["status"] == "delivered" for r in rows)
    # Within the retry schedule: nothing waited longer after the return than the longest backoff.
    assert max(unstamp(r["delivered_at"]) for r in rows) <= returned_at + policy.max_delay_s
    # …and no row ever waited longer between two attempts than the schedule allows.
    by_row = defaultdict(list)
    for attempt in attempts:
        by_row[attempt["delivery_id"]].append(unstamp(attempt["at"]))
    for row in rows:
        times = by_row[row["id"]]
        for failures, (a, b) in enumerate(pairwise(times), start=1):
            assert b - a <= policy.scheduled_delay(failures) + 0.01
