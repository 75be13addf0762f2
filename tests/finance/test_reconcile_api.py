"""/api/v1/reconciliation: lists by status with keyset pages, run, resolve, upload; roles and office scope."""

from __future__ import annotations

import pytest

from hub.api.security import create_token
from hub.finance.reconcile import matching
from tests.finance.reconcile_support import (add_order, flow, flow_payment, import_flow, import_statement, line,
                                             statement)
from tests.finance.test_reconcile_cli import CAMT_XML
from tests.hub.api_support import Api
from tests.hub.conftest import directory, hub_context  # noqa: F401  (fixtures)

FLOW_ID = "2026-11-20SELBIT2B-S000000055"
IUV1 = "04000000000000001"


@pytest.fixture
def api(hub_context):
    api = Api(hub_context)
    with hub_context.db.begin() as conn:
        add_order(conn, "CP1", iuv=IUV1)
        import_statement(conn, statement(*[line(n, 100 * n, f"/PUR/LGPE-RIVERSAMENTO/URI/{n}") for n in (1, 2, 3)],
                                         line(4, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_ID}")))
        import_flow(conn, flow(FLOW_ID, flow_payment(1, IUV1, 1600)))
    return api


def test_readers_list_by_status_a_page_at_a_time_and_only_managers_run(api):
    auditor = api.auth(api.token("auditor"))
    assert api.client.post("/api/v1/reconciliation/run", headers=auditor).status_code == 403
    assert api.client.get("/api/v1/reconciliation/lines", headers=api.auth(api.token("operator"))).status_code == 403
    ran = api.client.post("/api/v1/reconciliation/run", headers=api.auth(api.admin_token))
    assert ran.status_code == 200 and ran.json()["lines"]["anomaly"] == 3 and ran.json()["payments_made"] == 1
    first = api.client.get("/api/v1/reconciliation/lines?status=anomaly&limit=2", headers=auditor).json()
    assert [(i["reason"], i["amount_minor"]) for i in first["items"]] == [("truncated_id", 300), ("truncated_id", 200)]
    rest = api.client.get(f"/api/v1/reconciliation/lines?status=anomaly&limit=2&cursor={first['next_cursor']}",
                          headers=auditor).json()
    assert [i["amount_minor"] for i in rest["items"]] == [100] and rest["next_cursor"] is None
    flows = api.client.get(f"/api/v1/reconciliation/flows?reference={FLOW_ID}", headers=auditor).json()
    assert [(f["status"], f["reason"]) for f in flows["items"]] == [("matched", "paid_by_line")]
    whole = api.client.get("/api/v1/reconciliation/report?status=matched", headers=auditor).json()
    assert [p["order_id"] for p in whole["payments"]] == ["CP1"] and len(whole["lines"]) == 1
    bad = api.client.get("/api/v1/reconciliation/lines?cursor=nonsense", headers=auditor)
    assert bad.status_code == 422
    empty = api.client.post("/api/v1/reconciliation/imports", content=b"", headers=api.auth(api.admin_token))
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    assert api.client.post("/api/v1/reconciliation/imports", content=b"x", headers=auditor).status_code == 403


def test_an_anomaly_is_resolved_once_with_a_note_and_other_offices_see_nothing(api):
    with api.context.db.begin() as conn:
        matching.run(conn)
        elsewhere, _ = create_token(conn, "milano admin", "admin", "test", offices=["MILANO"])
    other = api.auth(elsewhere)
    assert api.client.get("/api/v1/reconciliation/report", headers=other).json() == {
        "lines": [], "flows": [], "payments": []}
    line_id = api.client.get("/api/v1/reconciliation/lines?status=anomaly&limit=1",
                             headers=api.auth(api.admin_token)).json()["items"][0]["id"]
    path = f"/api/v1/reconciliation/lines/{line_id}/resolve"
    assert api.client.post(path, json={"note": "mine"}, headers=other).status_code == 404
    done = api.client.post(path, json={"note": "booked by hand"}, headers=api.auth(api.admin_token))
    assert done.status_code == 200 and done.json()["resolution"]["note"] == "booked by hand"
    assert (done.json()["status"], done.json()["reason"]) == ("ignored", "resolved")
    again = api.client.post(path, json={"note": "again"}, headers=api.auth(api.admin_token))
    assert again.status_code == 409
    assert api.client.post(path, json={"note": ""}, headers=api.auth(api.admin_token)).status_code == 422


def test_an_upload_of_a_broken_file_is_refused_with_where_and_why(api):
    refused = api.client.post("/api/v1/reconciliation/imports", content=CAMT_XML.replace("16.00", "sedici").encode(),
                              headers=api.auth(api.admin_token))
    assert refused.status_code == 422 and refused.json()["where"] and refused.json()["reason"]
