"""From a signed agent event to the case system: ingest stores the payment and queues its
confirmation in the same transaction; the worker delivers it to the simulator over HTTP."""

from __future__ import annotations

import random
import time

from sqlalchemy import select

from hub.delivery.clock import FakeClock
from hub.delivery.worker import DeliveryWorker
from hub.ingest.store import store_batch
from hub.store.tables import orders
from hub.store.tables_delivery import deliveries
from protocol.keys import SigningKey
from tests.hub.agents import FakeAgent
from tests.support.case_system import CaseSystemSim
from tests.support.delivery import drive, register


def _store(db, envelopes):
    with db.begin() as conn:
        return store_batch(conn, [(e, e.encode().decode()) for e in envelopes], [], SigningKey.generate())


def _deliveries(db):
    with db.connect() as conn:
        return conn.execute(select(deliveries).order_by(deliveries.c.id)).mappings().all()


async def test_payment_and_void_reach_the_case_system_in_order_with_the_order_status(hub_db, tmp_path):
    sim = CaseSystemSim(tmp_path / "sim").start()
    try:
        register(hub_db, sim, name="rf-orders", regex=r"RF\d\d.*", on="rf")
        with hub_db.begin() as conn:
            conn.execute(orders.insert().values(
                order_id="CP1", amount_kind="fixed", amount_minor=3000, currency="EUR", reference_format="rf",
                reference="RF18539007547034", case_ref="VR-77", created_at="2026-11-22T09:00:00.000Z",
                created_by="test"))
        agent = FakeAgent("lv-riga-1")
        paid = agent.payment(1500, reference={"format": "rf", "value": "RF18539007547034"})
        _store(hub_db, [paid])
        _store(hub_db, [paid])                                       # a replayed message: nothing new queued
        void = agent.void(paid.body["payment_id"], 1500)
        _store(hub_db, [void])
        rows = _deliveries(hub_db)
        assert [r["event_id"] for r in rows] == [paid.id, void.id]
        assert {r["case_system"] for r in rows} == {"rf-orders"} and rows[0]["case_key"] == rows[1]["case_key"]

        clock = FakeClock()
        worker = DeliveryWorker(hub_db, clock=clock, signing_time=time.time, rng=random.Random(3))
        await drive(worker, clock, until=clock.now() + 60)
        await worker.aclose()
        got = sim.accepted()
    finally:
        sim.stop()
    assert [r["webhook_id"] for r in got] == [r["webhook_id"] for r in rows]
    first, second = (r["body"] for r in got)
    assert first["type"] == "payment.confirmed" and second["type"] == "payment.voided"
    assert first["data"]["order"]["status"] == "partly_paid" and first["data"]["order"]["paid_minor"] == 1500
    assert first["data"]["link"]["order_id"] == "CP1" and first["data"]["link"]["case_ref"] == "VR-77"
    assert second["data"]["payment"]["void_reason"] == "clerk error"
