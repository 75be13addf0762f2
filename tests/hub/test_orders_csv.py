"""Bulk orders from CSV: every bad row named by line and reason, nothing half-imported."""

from __future__ import annotations

from sqlalchemy import func, select

from protocol.ids import pagopa, rf
from hub.store.tables import orders
from tests.hub.api_support import Api

GOOD = """case_ref,payer_name,amount,currency,reference_format,due_date
CASE-1,Anna Rossi,"12,50",EUR,pagopa,2027-01-31
CASE-2,Jan Kowalski,1 234.56,EUR,rf,
CASE-3,Ελένη,,EUR,rf,
"""


def _count(api: Api) -> int:
    with api.context.db.connect() as conn:
        return conn.execute(select(func.count()).select_from(orders)).scalar_one()


def test_a_csv_with_bad_rows_imports_nothing_and_names_every_bad_row(hub_context):
    api = Api(hub_context)
    operator = api.auth(api.token("operator"))
    text = ("case_ref,payer_name,amount,amount_kind,due_date\n"
            "CASE-1,Anna,10.00,fixed,2027-01-01\n"
            "CASE-2,Bob,ten,fixed,\n"
            "CASE-3,Cleo,,fixed,\n"
            "CASE-4,Dan,5.00,fixed,31/12/2026\n"
            "CASE-5,Eve,5.00,fixed,,extra\n")
    response = api.client.post("/api/v1/orders/import", content=text.encode(), headers=operator | {"Content-Type": "text/csv"})
    assert response.status_code == 422
    errors = {e["line"]: " ".join(e["errors"]) for e in response.json()["row_errors"]}
    assert sorted(errors) == [3, 4, 5, 6]
    assert "amount" in errors[3] and "required for a fixed-amount order" in errors[4]
    assert "due_date" in errors[5] and "more fields than the header" in errors[6]
    assert _count(api) == 0


def test_a_good_csv_creates_every_order_with_valid_references(hub_context):
    api = Api(hub_context)
    operator = api.auth(api.token("operator"))
    text = GOOD.replace("CASE-3,Ελένη,,EUR,rf,", "CASE-3,Ελένη,0.99,EUR,rf,")
    response = api.client.post("/api/v1/orders/import", content=text.encode(), headers=operator)
    assert response.status_code == 201, response.text
    created = response.json()["orders"]
    assert len(created) == 3 and _count(api) == 3
    assert pagopa.is_valid(created[0]["reference"]) and rf.is_valid(created[1]["reference"])
    second = api.client.get(f"/api/v1/orders/{created[1]['order_id']}", headers=operator).json()
    assert (second["amount_minor"], second["payer_name"]) == (123456, "Jan Kowalski")


def test_unknown_columns_and_empty_files_are_explained(hub_context):
    api = Api(hub_context)
    operator = api.auth(api.token("operator"))
    unknown = api.client.post("/api/v1/orders/import", content=b"case,amount\nC,1\n", headers=operator).json()
    assert unknown["row_errors"][0]["line"] == 1 and "unknown columns case" in unknown["row_errors"][0]["errors"][0]
    empty = api.client.post("/api/v1/orders/import", content=b"", headers=operator).json()
    assert "empty" in empty["row_errors"][0]["errors"][0]
    binary = api.client.post("/api/v1/orders/import", content=b"\xff\xfe\x00", headers=operator)
    assert binary.status_code == 422 and "UTF-8" in binary.json()["detail"]
