"""A batch run gives exactly the result recorded before the run was made faster.

One history of every shape matching knows (lines paying flows, waiting and then matched,
duplicates, truncated ids, debits, reversals, lines not ours, single and RF payments,
unknown IUVs and RFs, revoked payments, a notice paid at a counter first, one IUV in two
flows, flows whose payments do not add up, a superseded revision, cancelled orders and
orders of no office), run in two runs; what it leaves (tests/finance/reconcile_fingerprint.py:
statuses, links, payments made, confirmations queued with their payloads) must equal
files/reconcile_same_result.json, written by the run as it was before its set-based
rewrite (commit 9a9cadb), on SQLite and on PostgreSQL alike.

To record it again after a change that is meant to change the result:
CP_RECORD_RECONCILE_RESULT=1 pytest tests/finance/test_reconcile_same_result.py -k sqlite
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from hub.casesys import registry
from hub.finance.reconcile import matching
from hub.store.tables import orders, payments
from tests.finance.reconcile_fingerprint import fingerprint
from tests.finance.reconcile_support import (add_order, flow, flow_payment, import_flow, import_statement, line,
                                             statement)

RECORDED = Path(__file__).parent / "files" / "reconcile_same_result.json"
URI = "/PUR/LGPE-RIVERSAMENTO/URI/"
RF9, RF_UNKNOWN = "RF18539007547034", "RF71DOESNOTEXIST"


def _flow_id(n: int) -> str:
    return f"2026-11-20SELBIT2B-S{n:09d}"


def _iuv(n: int) -> str:
    return f"03{n:015d}"


def _counter_payment(conn, order_id: str, iuv: str, amount_minor: int) -> None:
    conn.execute(payments.insert().values(
        agent_id="it-roma-desk-1", payment_id=f"p-{order_id}", message_id=f"m-{order_id}", receipt_id="r-1",
        office="ROMA-1", kind="payment", amount_minor=amount_minor, currency="EUR", tender="card",
        reference_format="pagopa", reference_value=iuv, captured_at="2026-11-19T10:00:00.000Z",
        received_at="2026-11-19T10:00:01.000Z", link_status="linked", link_method="pagopa",
        linked_order_id=order_id, linked_case_ref=f"TARI-{order_id}", body={}))


def _history(db) -> None:
    with db.begin() as conn:
        registry.create(conn, registry.CaseSystemCreate(
            name="comune", patterns=[{"on": "case_ref", "regex": r"TARI-.*"}], webhook_url="http://127.0.0.1:9/hook",
            secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", internal=True), "test")
        for n in range(1, 13):          # CP1..CP12; TARI cases are routed, the others stay unrouted
            add_order(conn, f"CP{n}", iuv=_iuv(n), amount_minor=1000 + n,
                      case_ref=f"TARI-CP{n}" if n % 3 else f"IMU-{n}", office=None if n == 7 else "ROMA-1")
        add_order(conn, "CP20", rf=RF9, amount_minor=5000, case_ref="TARI-CP20")
        conn.execute(orders.update().where(orders.c.order_id == "CP8").values(
            cancelled_at="2026-11-18T09:00:00.000Z", cancelled_by="test"))
        _counter_payment(conn, "CP3", _iuv(3), 1003)
        import_statement(conn, statement(
            line(1, 1001 + 1002, URI + _flow_id(1), ref="B1"),         # pays flow 1
            line(2, 9999, URI + _flow_id(2), ref="B2"),                # flow 2's total differs from it
            line(3, 1007 + 1008, URI + _flow_id(3), ref="B3"),         # flow 3 comes in the second run
            line(4, 1001 + 1002, URI + _flow_id(1), ref="B4"),         # a second line for flow 1
            line(5, 1600, URI + "2", ref="B5"),                        # truncated
            line(6, 1600, URI + _flow_id(1), credit=False, ref="B6"),
            line(7, 1600, URI + _flow_id(1), reversal=True, ref="B7"),
            line(8, 1600, "STIPENDIO NOVEMBRE", ref="B8"),
            line(9, 1005, f"/RFS/{_iuv(5)}/10.05/TXT/tari", ref="B9"),
            line(10, 1006, f"/RFS/{_iuv(6)}/10.00", ref="B10"),        # amount differs from its text
            line(11, 1600, f"/RFS/{_iuv(99)}/16.00", ref="B11"),       # unknown IUV
            line(12, 2000, f"{RF9} rata 1", ref="B12"),
            line(13, 3000, f"{RF9} rata 2", ref="B13"),
            line(14, 3000, f"{RF_UNKNOWN} rata", ref="B14"),
            line(15, 1001 + 1012, URI + _flow_id(6), ref="B15")))
        import_flow(conn, flow(_flow_id(1), flow_payment(1, _iuv(1), 1001), flow_payment(2, _iuv(2), 1002)))
        import_flow(conn, flow(_flow_id(2), flow_payment(1, _iuv(3), 1003), flow_payment(2, _iuv(4), 1004, outcome=3)))
        import_flow(conn, flow(_flow_id(4), flow_payment(1, _iuv(98), 1600)))                     # unknown IUV
        import_flow(conn, flow(_flow_id(5), flow_payment(1, _iuv(9), 1009), total_minor=1500))    # total differs
        import_flow(conn, flow(_flow_id(6), flow_payment(1, _iuv(1), 1001, iur="OTHER"),          # IUV 1 again
                               flow_payment(2, _iuv(12), 1012)))
        matching.run(conn)
    with db.begin() as conn:
        import_flow(conn, flow(_flow_id(3), flow_payment(1, _iuv(7), 1007), flow_payment(2, _iuv(8), 1008)))
        import_flow(conn, flow(_flow_id(1), flow_payment(1, _iuv(1), 1001), flow_payment(2, _iuv(2), 1002),
                               revision=dt.datetime(2026, 11, 23, 9, 0)))
        add_order(conn, "CP98", iuv=_iuv(98), amount_minor=1600, case_ref="TARI-CP98")
        import_statement(conn, statement(line(1, 1010, f"/RFS/{_iuv(10)}/10.10", ref="C1"),
                                         line(2, 1011, f"/RFS/{_iuv(11)}/10.11", ref="C2"),
                                         statement_id="STMT-2"))
        matching.run(conn)
        matching.run(conn)              # changes nothing


def _comparable(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def test_a_batch_run_leaves_exactly_the_result_recorded_before_it_was_made_faster(hub_db):
    registry.invalidate_cache()
    _history(hub_db)
    with hub_db.connect() as conn:
        result = _comparable(fingerprint(conn))
    if os.environ.get("CP_RECORD_RECONCILE_RESULT") and hub_db.url.startswith("sqlite"):
        RECORDED.write_text(json.dumps(result, sort_keys=True, indent=1, ensure_ascii=False) + "\n")
    recorded = json.loads(RECORDED.read_text())
    for part in recorded:
        assert result[part] == recorded[part], f"{part} differ from what the run recorded before"
    assert result == recorded
