"""The REST API: roles, orders and their references, linking, CSV import, catalogue,
verification, 422s that name fields, metrics."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from protocol.canonical import canonical_bytes
from protocol.ids import pagopa, rf
from protocol.wire import topics
from hub.orders.service import OrderRequest, create_order
from hub.store.tables import api_tokens
from tests.hub.agents import FakeAgent
from tests.hub.api_support import Api


@pytest.fixture
def api(hub_context):
    return Api(hub_context)


def test_roles_decide_who_may_do_what(api):
    anonymous = api.client.get("/api/v1/payments")
    assert anonymous.status_code == 401
    assert api.client.get("/api/v1/payments", headers=api.auth("cph_wrong")).status_code == 401
    auditor, operator = api.token("auditor"), api.token("operator")
    order = {"amount_minor": 1000, "currency": "EUR"}
    assert api.client.get("/api/v1/payments", headers=api.auth(auditor)).status_code == 200
    assert api.client.post("/api/v1/orders", json=order, headers=api.auth(auditor)).status_code == 403
    assert api.client.post("/api/v1/tokens", json={"name": "x", "role": "admin"},
                           headers=api.auth(operator)).status_code == 403
    assert api.client.post("/api/v1/orders", json=order, headers=api.auth(operator)).status_code == 201
    with api.context.db.connect() as conn:
        hashes = list(conn.execute(select(api_tokens.c.token_hash)).scalars())
    assert operator not in hashes and len(hashes) == 3
    token_id = [t for t in api.client.get("/api/v1/tokens", headers=api.auth(api.admin_token)).json()
                if t["role"] == "operator"][0]["id"]
    api.client.delete(f"/api/v1/tokens/{token_id}", headers=api.auth(api.admin_token))
    assert api.client.get("/api/v1/payments", headers=api.auth(operator)).status_code == 401


def test_orders_get_valid_references_and_a_signed_qr_that_verifies(api):
    operator = api.auth(api.token("operator"))
    made = api.client.post("/api/v1/orders", json={"amount_minor": 12500, "currency": "EUR", "case_ref": "C-1",
                                                   "payer": {"name": "Jānis"}}, headers=operator).json()
    assert rf.is_valid(made["reference"]) and made["status"] == "unpaid"
    notice = api.client.post("/api/v1/orders", json={"amount_minor": 5000, "reference_format": "pagopa"},
                             headers=operator).json()
    assert pagopa.validate(notice["reference"]) == notice["reference"] and notice["iuv"]
    verdict = api.client.post("/api/v1/verify", json={"payload": made["qr_payload"]}, headers=operator).json()
    assert verdict["valid"] and verdict["fields"]["order_id"] == made["order_id"]
    forged = made["qr_payload"][:-3] + ("000" if made["qr_payload"][-3:] != "000" else "111")
    assert not api.client.post("/api/v1/verify", json={"payload": forged}, headers=operator).json()["valid"]
    pdf = api.client.get(f"/api/v1/orders/{made['order_id']}/notice.pdf", headers=operator)
    png = api.client.get(f"/api/v1/orders/{made['order_id']}/notice.png", headers=operator)
    assert pdf.content.startswith(b"%PDF") and png.content.startswith(b"\x89PNG")


def test_an_order_paid_in_parts_lists_every_payment_and_its_status(api):
    operator = api.auth(api.token("operator"))
    order = api.client.post("/api/v1/orders", json={"amount_kind": "open", "amount_minor": 3000,
                                                    "case_ref": "CASE-9"}, headers=operator).json()
    agent = FakeAgent("desk-1")
    by_rf = {"format": "rf", "value": rf.format(order["reference"])}

    def status():
        return api.client.get(f"/api/v1/orders/{order['order_id']}", headers=operator).json()

    api.store(agent.payment(1000, reference=by_rf))
    assert (status()["status"], status()["paid_minor"]) == ("partly_paid", 1000)
    api.store(agent.payment(2000, reference={"format": "cp-order", "value": order["order_id"]}, tender="cash"))
    assert status()["status"] == "paid"
    api.store(agent.payment(1, order_id=order["order_id"]))
    view = status()
    assert view["status"] == "overpaid"
    assert [(p["amount_minor"], p["tender"], p["agent_id"], p["office"]) for p in view["payments"]] == \
        [(1000, "card", "desk-1", "riga-1"), (2000, "cash", "desk-1", "riga-1"), (1, "card", "desk-1", "riga-1")]
    api.store(agent.void("desk-1-p3", 1))
    assert status()["status"] == "paid"
    case = api.client.get("/api/v1/cases/CASE-9/payments", headers=operator).json()
    assert case["paid_minor"] == 3000 and len(case["payments"]) == 3


def test_unlinked_payments_wait_in_a_queue_and_a_manual_link_is_audited(api):
    operator = api.auth(api.token("operator"))
    agent = FakeAgent("desk-2")
    api.store(agent.payment(700, reference={"format": "rf", "value": "RF18539007547034"}))
    queue = api.client.get("/api/v1/payments/unlinked", headers=operator).json()
    assert queue["total"] == 1 and "no payment order" in queue["payments"][0]["link_note"]
    row_id = queue["payments"][0]["id"]
    bad = api.client.post(f"/api/v1/payments/{row_id}/link", json={"order_id": "NOPE"}, headers=operator)
    assert bad.status_code == 404
    linked = api.client.post(f"/api/v1/payments/{row_id}/link", json={"case_ref": "CASE-5", "note": "phoned"},
                             headers=operator).json()
    assert (linked["link_status"], linked["link_method"], linked["linked_case_ref"]) == ("linked", "manual", "CASE-5")
    assert api.client.get("/api/v1/payments/unlinked", headers=operator).json()["total"] == 0
    audit = api.client.get("/api/v1/audit", params={"subject": "payment:desk-2/desk-2-p1"},
                           headers=api.auth(api.admin_token)).json()
    assert audit[0]["action"] == "payment.link" and audit[0]["details"]["after"]["case_ref"] == "CASE-5"
    found = api.client.get("/api/v1/payments", params={"case": "CASE-5", "tender": "card"}, headers=operator).json()
    assert found["total"] == 1


def test_an_order_created_later_picks_up_the_payments_waiting_for_it(api):
    operator = api.auth(api.token("operator"))
    api.store(FakeAgent("desk-3").payment(400, reference={"format": "rf", "value": rf.generate("CPLATE00001")}))
    assert api.client.get("/api/v1/payments/unlinked", headers=operator).json()["total"] == 1
    with api.context.db.begin() as conn:
        create_order(conn, OrderRequest(amount_minor=400), api.context.settings, "test", order_id="CPLATE00001")
    assert api.client.get("/api/v1/orders/CPLATE00001", headers=operator).json()["status"] == "paid"


def test_invalid_bodies_get_422_naming_the_fields(api):
    operator = api.auth(api.token("operator"))
    response = api.client.post("/api/v1/orders", json={"amount_minor": -5, "currency": "euro", "colour": 1},
                               headers=operator)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.amount_minor", "body.currency", "body.colour"} <= fields


CATALOGUE = {"currency": "EUR", "price_lists": [{
    "code": "VEH", "name": "Vehicle registration", "legal_acts": ["Cabinet Regulation 1234"],
    "positions": [
        {"code": "REG", "name": "Registration", "mandatory": True},
        {"code": "REG-1", "parent": "REG", "name": "Car", "unit": "vehicle", "unit_price_minor": 2500,
         "vat_rate_bp": 2100, "legal_act": "CR 1234 §5", "discounts": [{"name": "disabled", "percent_bp": 5000}]},
        {"code": "PLATE", "name": "Number plate", "unit_price_minor": 1200, "tenders": ["card"]}]}]}


def test_catalogue_is_validated_versioned_and_published_retained(api):
    operator = api.auth(api.token("operator"))
    broken = {"price_lists": [{"code": "X", "name": "X", "positions": [
        {"code": "A", "parent": "B", "name": "a", "unit_price_minor": 1, "vat_rate_bp": 20000}]}]}
    response = api.client.post("/api/v1/catalogue/validate", json=broken, headers=operator)
    assert response.status_code == 422
    assert any("vat_rate_bp" in e["field"] for e in response.json()["errors"])
    assert api.client.post("/api/v1/catalogue/validate", json=CATALOGUE, headers=operator).json()["positions"] == 3
    version = api.client.post("/api/v1/catalogue/versions", json=CATALOGUE, headers=operator).json()["version"]
    assert api.published == []
    assert api.client.post(f"/api/v1/catalogue/versions/{version}/publish", headers=operator).status_code == 200
    topic, payload, retain = api.published[-1]
    document = api.client.get("/api/v1/catalogue", headers=operator).json()
    assert (topic, retain) == (topics.CATALOGUE, True) and payload == canonical_bytes(document)
    assert document["version"] == version and document["price_lists"][0]["positions"][1]["unit_price_minor"] == 2500
    second = api.client.post("/api/v1/catalogue/versions", json=CATALOGUE, headers=operator).json()["version"]
    api.client.post(f"/api/v1/catalogue/versions/{second}/publish", headers=operator)
    statuses = [v["status"] for v in api.client.get("/api/v1/catalogue/versions", headers=operator).json()]
    assert statuses == ["superseded", "published"]


def test_metrics_show_unlinked_payments_and_agents(api):
    api.store(FakeAgent("desk-4").payment(100))
    text = api.client.get("/metrics", headers=api.auth(api.token("metrics"))).text
    assert "counterpay_hub_unlinked_payments 1.0" in text
    assert "counterpay_hub_agents_known 1.0" in text


def test_a_receipt_verifies_against_the_hubs_key_directory_and_a_revoked_key_does_not(api, directory):
    from protocol.qr import cp_receipt
    agent = FakeAgent("desk-5").enroll(directory)
    payload = cp_receipt.make(cp_receipt.ReceiptCode("R-1", agent.agent_id, "2026-11-22T10:15:00Z", 12500, "EUR",
                                                     "card", "T0042", "CASE-1", "1234", agent.key.kid), agent.key)
    auditor = api.auth(api.token("auditor"))
    verdict = api.client.post("/api/v1/verify", json={"payload": payload}, headers=auditor).json()
    assert (verdict["format"], verdict["valid"], verdict["fields"]["verdict"]) == ("cp-receipt", True, "valid")
    directory.revoke(agent.key.kid, "2026-11-22T11:00:00Z", "stolen laptop")
    revoked = api.client.post("/api/v1/verify", json={"payload": payload}, headers=auditor).json()
    assert not revoked["valid"]
    stranger = FakeAgent("desk-6")
    unknown = cp_receipt.make(cp_receipt.ReceiptCode("R-2", "desk-6", "2026-11-22T10:15:00Z", 1, "EUR", "cash", "",
                                                     "C", "", stranger.key.kid), stranger.key)
    assert not api.client.post("/api/v1/verify", json={"payload": unknown}, headers=auditor).json()["valid"]


def test_an_order_names_catalogue_positions_that_travel_in_its_signed_qr(api):
    operator = api.auth(api.token("operator"))
    version = api.client.post("/api/v1/catalogue/versions", json=CATALOGUE, headers=operator).json()["version"]
    api.client.post(f"/api/v1/catalogue/versions/{version}/publish", headers=operator)
    bad = api.client.post("/api/v1/orders", json={"amount_minor": 3700, "positions": ["REG-1", "NOPE"]},
                          headers=operator)
    assert bad.status_code == 422 and "NOPE" in bad.json()["detail"]
    order = api.client.post("/api/v1/orders", json={"amount_minor": 3700, "positions": ["REG-1", "PLATE"]},
                            headers=operator).json()
    assert order["positions"] == ["REG-1", "PLATE"]
    verdict = api.client.post("/api/v1/verify", json={"payload": order["qr_payload"]}, headers=operator).json()
    assert verdict["fields"]["positions"] == ["REG-1", "PLATE"]
    csv_text = "amount,positions\n1.00,PLATE\n2.00,PLATE GHOST\n"
    response = api.client.post("/api/v1/orders/import", content=csv_text.encode(), headers=operator)
    assert response.status_code == 422
    assert response.json()["row_errors"] == [{"line": 3, "errors": ["positions GHOST are not in the published fee catalogue"]}]


def test_pagopa_notices_carry_the_pagopa_qr_and_need_a_creditor(api):
    import dataclasses
    import io

    from PIL import Image

    from protocol.qr import image

    operator = api.auth(api.token("operator"))
    notice = api.client.post("/api/v1/orders", json={"amount_minor": 5000, "reference_format": "pagopa"},
                             headers=operator).json()
    png = api.client.get(f"/api/v1/orders/{notice['order_id']}/notice.png", headers=operator)
    found = {result.format: result for result in image.decode(Image.open(io.BytesIO(png.content)))}
    assert set(found) == {"cp-order", "pagopa"}
    assert found["pagopa"].valid and found["pagopa"].fields["notice_number"] == notice["reference"]
    assert found["pagopa"].fields["amount_minor"] == 5000

    state = api.client.app.state
    state.settings = dataclasses.replace(state.settings, creditor_fiscal_code="")
    refused = api.client.post("/api/v1/orders", json={"amount_minor": 5000, "reference_format": "pagopa"},
                              headers=operator)
    assert refused.status_code == 422 and "creditor_fiscal_code" in refused.text
