"""Matching: every status and reason a line, a flow and a flow payment can have, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from hub.finance.reconcile import matching
from hub.finance.reconcile import report as reconcile_report
from hub.ingest.store import store_batch
from hub.linking.status import order_payments, summarise
from hub.store.tables import orders, payments
from hub.store.tables_delivery import deliveries
from hub.store.tables_reconcile import flow_payments, flows, statement_lines
from hub.users.scope import Scope
from protocol.keys import SigningKey
from tests.hub.agents import FakeAgent
from tests.finance.reconcile_support import (add_order, flow, flow_payment, import_flow, import_statement, line,
                                             statement)

FLOW_A = "2026-11-20SELBIT2B-S000000001"
FLOW_B = "2026-11-20SELBIT2B-S000000002"
IUV1, IUV2, IUV3 = "01000000000000001", "01000000000000002", "01000000000000003"
RF = "RF18539007547034"


def _status(conn, table, **where):
    query = select(table.c.status, table.c.reason)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    return tuple(conn.execute(query).one())


def _line(conn, position):
    return _status(conn, statement_lines, position=position)


def _count(conn, table, *where):
    return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_a_line_waits_for_its_flow_then_both_match_and_the_flow_payments_pay_their_orders(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1, amount_minor=1600)
        add_order(conn, "CP2", iuv=IUV2, amount_minor=2400)
        import_statement(conn, statement(line(1, 4000, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}")))
        matching.run(conn)
        assert _line(conn, 1) == ("waiting", "flow_not_arrived")
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600), flow_payment(2, IUV2, 2400)))
        outcome = matching.run(conn)
        assert _line(conn, 1) == ("matched", "pays_flow")
        assert _status(conn, flows, flow_id=FLOW_A) == ("matched", "paid_by_line")
        assert _status(conn, flow_payments, iuv=IUV1) == ("matched", "pays_order")
        assert outcome.payments_made == 2
        made = conn.execute(select(payments).where(payments.c.channel == "pagopa")
                            .order_by(payments.c.amount_minor)).mappings().all()
        assert [(p["linked_order_id"], p["amount_minor"], p["link_status"], p["captured_at"][:10]) for p in made] == [
            ("CP1", 1600, "linked", "2026-11-20"), ("CP2", 2400, "linked", "2026-11-20")]
        assert made[0]["body"]["psp_id"] == "SELBIT2B" and made[0]["body"]["flow_id"] == FLOW_A
        assert _count(conn, deliveries, deliveries.c.event_id.in_([p["payment_id"] for p in made])) == 2
        fp_rows = conn.execute(select(flow_payments.c.payment_row).order_by(flow_payments.c.id)).scalars().all()
        assert sorted(fp_rows) == sorted(p["id"] for p in made)


def test_a_second_run_changes_nothing(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        import_statement(conn, statement(line(1, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}"),
                                         line(2, 500, "GIROCONTO"), line(3, 700, f"{RF} fee")))
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600), flow_payment(2, IUV3, 900), total_minor=1600))
        matching.run(conn)
        snapshot = [conn.execute(select(t)).mappings().all() for t in (statement_lines, flows, flow_payments,
                                                                      payments, deliveries)]
        again = matching.run(conn)
        assert again.changed == 0 and again.payments_made == 0
        assert [conn.execute(select(t)).mappings().all() for t in (statement_lines, flows, flow_payments, payments,
                                                                  deliveries)] == snapshot


def test_a_line_whose_amount_is_not_the_flows_total_makes_both_anomalies(hub_db):
    with hub_db.begin() as conn:
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        import_statement(conn, statement(line(1, 1700, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}")))
        matching.run(conn)
        assert _line(conn, 1) == ("anomaly", "amount_differs")
        assert _status(conn, flows, flow_id=FLOW_A) == ("anomaly", "amount_differs")


def test_a_second_line_for_a_paid_flow_is_a_duplicate(hub_db):
    with hub_db.begin() as conn:
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        import_statement(conn, statement(line(1, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}", ref="B1"),
                                         line(2, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}", ref="B2")))
        matching.run(conn)
        assert [_line(conn, 1), _line(conn, 2)] == [("matched", "pays_flow"), ("anomaly", "duplicate")]


def test_a_truncated_flow_id_is_an_anomaly_and_lines_not_ours_are_ignored(hub_db):
    with hub_db.begin() as conn:
        import_statement(conn, statement(line(1, 1600, "/PUR/LGPE-RIVERSAMENTO/URI/2"),
                                         line(2, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}", credit=False),
                                         line(3, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}", reversal=True),
                                         line(4, 1600, "STIPENDIO NOVEMBRE")))
        matching.run(conn)
        assert [_line(conn, n) for n in (1, 2, 3, 4)] == [("anomaly", "truncated_id"), ("ignored", "debit"),
                                                          ("ignored", "reversal"), ("ignored", "not_ours")]


def test_a_flow_no_line_pays_waits_and_one_whose_payments_do_not_add_up_is_an_anomaly(hub_db):
    with hub_db.begin() as conn:
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        import_flow(conn, flow(FLOW_B, flow_payment(1, IUV2, 1600), total_minor=1500))
        matching.run(conn)
        assert _status(conn, flows, flow_id=FLOW_A) == ("waiting", "line_not_arrived")
        assert _status(conn, flows, flow_id=FLOW_B) == ("anomaly", "total_differs")


def test_an_unknown_iuv_is_an_anomaly_until_its_order_is_created(hub_db):
    with hub_db.begin() as conn:
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        matching.run(conn)
        assert _status(conn, flow_payments, iuv=IUV1) == ("anomaly", "unknown_iuv")
        add_order(conn, "CP1", iuv=IUV1)
        assert matching.run(conn).payments_made == 1
        assert _status(conn, flow_payments, iuv=IUV1) == ("matched", "pays_order")


def test_a_revoked_payment_is_an_anomaly_and_makes_no_payment(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600, outcome=3)))
        assert matching.run(conn).payments_made == 0
        assert _status(conn, flow_payments, iuv=IUV1) == ("anomaly", "revoked_payment")


def _counter_payment(conn, order_id: str, iuv: str) -> None:
    conn.execute(payments.insert().values(
        agent_id="it-roma-desk-1", payment_id="p-1", message_id="m-1", receipt_id="r-1", office="ROMA-1",
        kind="payment", amount_minor=1600, currency="EUR", tender="card", reference_format="pagopa",
        reference_value=iuv, captured_at="2026-11-19T10:00:00.000Z", received_at="2026-11-19T10:00:01.000Z",
        link_status="linked", link_method="pagopa", linked_order_id=order_id, body={}))


def test_a_notice_paid_at_a_counter_and_through_pagopa_is_paid_twice_not_a_second_payment(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        _counter_payment(conn, "CP1", IUV1)
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        assert matching.run(conn).payments_made == 0
        assert _status(conn, flow_payments, iuv=IUV1) == ("anomaly", "paid_twice")
        assert _count(conn, payments, payments.c.linked_order_id == "CP1") == 1


def test_one_iuv_in_two_flows_is_paid_once_and_the_second_is_a_duplicate(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        import_flow(conn, flow(FLOW_B, flow_payment(1, IUV1, 1600, iur="OTHER")))
        matching.run(conn)
        fp = {row.flow_id: (row.status, row.reason) for row in conn.execute(
            select(flows.c.flow_id, flow_payments.c.status, flow_payments.c.reason)
            .join(flows, flows.c.id == flow_payments.c.flow_row))}
        assert fp == {FLOW_A: ("matched", "pays_order"), FLOW_B: ("anomaly", "duplicate")}
        assert _count(conn, payments, payments.c.linked_order_id == "CP1") == 1


def test_a_single_payment_line_pays_its_order_by_iuv_unless_its_amount_differs(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        add_order(conn, "CP2", iuv=IUV2)
        import_statement(conn, statement(line(1, 1600, f"/RFS/{IUV1}/16.00/TXT/fee"),
                                         line(2, 1600, f"/RFS/{IUV2}/15.00"), line(3, 1600, f"/RFS/{IUV3}/16.00")))
        matching.run(conn)
        assert [_line(conn, n) for n in (1, 2, 3)] == [("matched", "pays_order"), ("anomaly", "amount_differs"),
                                                       ("anomaly", "unknown_iuv")]
        made = conn.execute(select(payments.c.channel, payments.c.linked_order_id)).all()
        assert [tuple(m) for m in made] == [("pagopa", "CP1")]


def test_an_rf_line_is_a_bank_payment_of_its_order_and_an_unknown_rf_an_anomaly(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP9", rf=RF, amount_minor=5000)
        import_statement(conn, statement(line(1, 2000, f"{RF} rata 1", ref="B1"),
                                         line(2, 3000, f"{RF} rata 2", ref="B2"),
                                         line(3, 3000, "RF71DOESNOTEXIST rata", ref="B3")))
        matching.run(conn)
        assert [_line(conn, n) for n in (1, 2, 3)] == [("matched", "pays_order"), ("matched", "pays_order"),
                                                       ("anomaly", "unknown_reference")]
        made = conn.execute(select(payments.c.channel, payments.c.tender, payments.c.amount_minor,
                                   payments.c.linked_order_id).order_by(payments.c.amount_minor)).all()
        assert [tuple(m) for m in made] == [("bank", "transfer", 2000, "CP9"), ("bank", "transfer", 3000, "CP9")]


def test_a_later_revision_of_a_flow_supersedes_the_earlier_and_pays_nothing_twice(hub_db):
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        import_statement(conn, statement(line(1, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_A}")))
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        matching.run(conn)
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600), revision=dt.datetime(2026, 11, 23, 9, 0)))
        assert matching.run(conn).payments_made == 0
        by_revision = {row.revision[:10]: (row.status, row.reason) for row in conn.execute(
            select(flows.c.revision, flows.c.status, flows.c.reason))}
        assert by_revision == {"2026-11-22": ("ignored", "superseded"), "2026-11-23": ("matched", "paid_by_line")}
        assert _line(conn, 1) == ("matched", "pays_flow")
        assert _count(conn, payments) == 1 and _count(conn, deliveries) == 1


def _at_the_counter(conn, iuv: str, amount_minor: int, agent: FakeAgent):
    """A counter payment for the notice, stored by the ingest's own path (linked by the IUV)."""
    envelope = agent.payment(amount_minor, reference={"format": "pagopa", "value": iuv}, office="ROMA-1")
    store_batch(conn, [(envelope, envelope.encode().decode())], [], SigningKey.generate())
    return envelope


def test_a_counter_payment_after_the_flow_paid_the_notice_makes_it_paid_twice_and_the_order_overpaid(hub_db):
    desk = FakeAgent("it-roma-desk-1")
    with hub_db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1, amount_minor=1600)
        add_order(conn, "CP2", iuv=IUV2, amount_minor=900)
        import_statement(conn, statement(line(1, 900, f"/RFS/{IUV2}/9.00", ref="B1")))
        import_flow(conn, flow(FLOW_A, flow_payment(1, IUV1, 1600)))
        assert matching.run(conn).payments_made == 2
        assert _status(conn, flow_payments, iuv=IUV1) == ("matched", "pays_order")
    with hub_db.begin() as conn:
        first = _at_the_counter(conn, IUV1, 1600, desk)
        _at_the_counter(conn, IUV2, 900, desk)
        assert conn.execute(select(payments.c.linked_order_id).where(
            payments.c.payment_id == first.body["payment_id"])).scalar_one() == "CP1"
        outcome = matching.run(conn)
        assert outcome.payments_made == 0 and outcome.changed == 2
        assert _status(conn, flow_payments, iuv=IUV1) == ("anomaly", "paid_twice")
        assert _line(conn, 1) == ("anomaly", "paid_twice")
        assert conn.execute(select(flow_payments.c.payment_row)).scalar_one() is not None   # the pagoPA payment stays
        report = reconcile_report.report(conn, Scope.of(["ROMA-1"]), status="anomaly")
        assert [(p["iuv"], p["reason"]) for p in report["payments"]] == [(IUV1, "paid_twice")]
        assert [(x["iuv"], x["reason"]) for x in report["lines"]] == [(IUV2, "paid_twice")]
        for order_id in ("CP1", "CP2"):
            order = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().one()
            assert summarise(dict(order), order_payments(conn, order_id))["status"] == "overpaid"
        assert matching.run(conn).changed == 0                   # and it stays so, run after run
    with hub_db.begin() as conn:                                 # the counter payment voided: paid once again
        void = desk.void(first.body["payment_id"], 1600)
        store_batch(conn, [(void, void.encode().decode())], [], SigningKey.generate())
        assert matching.run(conn).changed == 1
        assert _status(conn, flow_payments, iuv=IUV1) == ("matched", "pays_order")
        assert _count(conn, payments, payments.c.linked_order_id == "CP1", payments.c.channel == "pagopa") == 1
