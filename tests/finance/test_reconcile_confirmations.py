"""Payments from flows are confirmed to the real case-system simulator by the real delivery
worker exactly once, however often the statement and the flow are imported and matched."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import func, select

from hub.delivery.clock import FakeClock
from hub.delivery.worker import DeliveryWorker
from hub.finance.reconcile import matching
from hub.linking.status import order_payments
from hub.store.tables import payments
from hub.store.tables_reconcile import finance_imports, statement_lines
from tests.finance.reconcile_support import (add_order, flow, flow_payment, import_flow, import_statement, line,
                                             statement)
from tests.support.case_system import CaseSystemSim
from tests.support.delivery import drive, register

FLOW_ID = "2026-11-20SELBIT2B-S000000077"
IUV1, IUV2 = "02000000000000001", "02000000000000002"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    process = CaseSystemSim(tmp_path_factory.mktemp("casesim")).start()
    yield process
    process.stop()


async def test_a_statement_before_its_flow_waits_then_the_flow_pays_the_orders_and_the_case_system_hears_once(
        hub_db, sim):
    register(hub_db, sim, name="comune", regex=r"TARI-.*")
    before = len(sim.accepted())           # the simulator serves both databases' runs
    the_statement = statement(line(1, 4100, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_ID}", ref="BK-1"))
    the_flow = flow(FLOW_ID, flow_payment(1, IUV1, 1600), flow_payment(2, IUV2, 2500))
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1, amount_minor=1600, case_ref="TARI-1")
        add_order(conn, "CP2", iuv=IUV2, amount_minor=2500, case_ref="TARI-2")
        import_statement(conn, the_statement, b"statement file")
        assert matching.run(conn).lines == {"waiting": 1}
        import_flow(conn, the_flow, b"flow file")
        outcome = matching.run(conn)
    assert outcome.lines == {"matched": 1} and outcome.flows == {"matched": 1} and outcome.payments == {"matched": 2}

    # The same files again, and a statement re-sent in a new file with the same line: nothing changes.
    with hub_db.begin() as conn:
        assert import_statement(conn, the_statement, b"statement file").repeated
        assert import_flow(conn, the_flow, b"flow file").repeated
        assert import_statement(conn, the_statement, b"the same statement sent again").added == 0
        assert matching.run(conn).changed == 0
    clock = FakeClock()
    worker = DeliveryWorker(hub_db, clock=clock, signing_time=time.time, rng=random.Random(7))
    await drive(worker, clock, until=clock.now() + 3600)   # virtual time: retries under load fit
    with hub_db.begin() as conn:
        import_flow(conn, the_flow, b"flow file, once more")
        matching.run(conn)
    await drive(worker, clock, until=clock.now() + 3600)   # virtual time: retries under load fit

    told = [r for r in sim.accepted()[before:] if r["body"]["data"]["payment"].get("channel") == "pagopa"]
    assert sorted(r["body"]["data"]["link"]["case_ref"] for r in told) == ["TARI-1", "TARI-2"]
    assert all(r["verified"] for r in told)
    first = next(r["body"]["data"] for r in told if r["body"]["data"]["link"]["case_ref"] == "TARI-1")
    assert first["order"]["status"] == "paid" and first["payment"]["source"]["iuv"] == IUV1
    with hub_db.connect() as conn:
        assert [(p["tender"], p["amount_minor"]) for p in order_payments(conn, "CP1")] == [("pagopa", 1600)]
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(statement_lines)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(finance_imports)).scalar_one() == 4
