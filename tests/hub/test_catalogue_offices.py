"""Fee dictionaries offices keep (issue 14 item 2) and the handling fee at the hub (item 3), over the
real API on SQLite and PostgreSQL: office catalogues beside the shared one, published in their own
scope on their own retained topic, office scope enforced; an office's orders priced from its own
lists; a payment's discounts and handling fee stored as the desk sent them."""

from __future__ import annotations

import pytest

from protocol.canonical import canonical_bytes
from protocol.wire import topics
from hub.api.security import create_token
from hub.catalogue import service
from tests.hub.agents import FakeAgent
from tests.hub.api_support import Api

SHARED = {"currency": "EUR", "price_lists": [{"code": "VEH", "name": "Vehicles", "service_step": 2, "positions": [
    {"code": "REG", "name": "Registration", "unit_price_minor": 5000, "mandatory": True}]}],
    "handling_fees": [{"price_list": "VEH", "fixed_minor": 5, "percent_bp": 99}]}
ROMA = {"currency": "EUR", "price_lists": [{"code": "ANAG", "name": "Anagrafe", "service_step": 1, "positions": [
    {"code": "CI", "name": "Carta d'identità", "unit_price_minor": 2222, "legal_act": "DPR 445/2000",
     "notes": "Portare la foto", "discounts": [{"name": "Smarrimento", "amount_minor": 500}]}]}],
    "handling_fees": [{"price_list": "VEH", "fixed_minor": 100, "collect": "apart", "tenders": ["card"]}]}


@pytest.fixture
def api(hub_context):
    return Api(hub_context)


def _scoped(api: Api, offices: list[str]) -> dict[str, str]:
    with api.context.db.begin() as conn:
        token, _ = create_token(conn, f"operator of {offices}", "operator", "test", offices=offices)
    return api.auth(token)


def _publish(api: Api, headers, document, office=None) -> int:
    params = {"office": office} if office else {}
    made = api.client.post("/api/v1/catalogue/versions", json=document, params=params, headers=headers)
    assert made.status_code == 201, made.text
    version = made.json()["version"]
    published = api.client.post(f"/api/v1/catalogue/versions/{version}/publish", headers=headers)
    assert published.status_code == 200, published.text
    assert published.json()["office"] == office
    return version


def test_an_office_catalogue_is_published_in_its_own_scope_on_its_own_topic(api):
    operator = api.auth(api.token("operator"))
    shared = _publish(api, operator, SHARED)
    roma = _publish(api, operator, ROMA, "ROMA-1")
    topic, payload, retain = api.published[-1]
    document = api.client.get("/api/v1/catalogue", params={"office": "ROMA-1"}, headers=operator).json()
    assert (topic, retain) == (topics.office_catalogue("ROMA-1"), True) and payload == canonical_bytes(document)
    assert document["office"] == "ROMA-1" and document["handling_fees"][0]["collect"] == "apart"
    assert document["price_lists"][0]["positions"][0]["notes"] == "Portare la foto"
    # The shared catalogue stays published: each scope has its own published version.
    assert api.client.get("/api/v1/catalogue", headers=operator).json()["version"] == shared
    second = _publish(api, operator, ROMA, "ROMA-1")
    versions = api.client.get("/api/v1/catalogue/versions", params={"office": "ROMA-1"}, headers=operator).json()
    assert [(v["version"], v["status"], v["office"]) for v in versions] == \
        [(roma, "superseded", "ROMA-1"), (second, "published", "ROMA-1")]
    shared_versions = api.client.get("/api/v1/catalogue/versions", headers=operator).json()
    assert [(v["version"], v["status"], v["office"]) for v in shared_versions] == [(shared, "published", None)]
    assert api.client.get("/api/v1/catalogue", params={"office": "MILANO-2"}, headers=operator).status_code == 404


def test_a_user_of_some_offices_keeps_only_their_catalogues(api):
    operator = api.auth(api.token("operator"))
    milano = _publish(api, operator, ROMA, "MILANO-2")
    roma_user = _scoped(api, ["ROMA-1"])
    shared = api.client.post("/api/v1/catalogue/versions", json=SHARED, headers=roma_user)
    assert shared.status_code == 403 and "choose one of your offices" in shared.json()["detail"]
    other = api.client.post("/api/v1/catalogue/versions", json=ROMA, params={"office": "MILANO-2"}, headers=roma_user)
    assert other.status_code == 403 and "MILANO-2 is not one of yours" in other.json()["detail"]
    own = _publish(api, roma_user, ROMA, "ROMA-1")
    assert api.client.get("/api/v1/catalogue", params={"office": "MILANO-2"}, headers=roma_user).status_code == 404
    assert api.client.get(f"/api/v1/catalogue/versions/{milano}", headers=roma_user).status_code == 404
    assert api.client.post(f"/api/v1/catalogue/versions/{milano}/publish", headers=roma_user).status_code == 404
    listed = api.client.get("/api/v1/catalogue/versions", params={"office": "ROMA-1"}, headers=roma_user).json()
    assert [v["version"] for v in listed] == [own]
    with api.context.db.connect() as conn:
        assert {v["office"] for v in service.versions(conn)} == {"MILANO-2", "ROMA-1"}


def test_a_bad_handling_fee_rule_is_refused_naming_it(api):
    operator = api.auth(api.token("operator"))
    for rule, field in (({"price_list": "VEH"}, "handling_fees.0"),
                        ({"price_list": "VEH", "fixed_minor": 1, "min_minor": 500, "max_minor": 100}, "handling_fees.0"),
                        ({"price_list": "VEH", "percent_bp": 10_001}, "handling_fees.0.percent_bp"),
                        ({"price_list": "VEH", "fixed_minor": 1, "collect": "later"}, "handling_fees.0.collect")):
        refused = api.client.post("/api/v1/catalogue/versions", json=SHARED | {"handling_fees": [rule]},
                                  headers=operator)
        assert refused.status_code == 422, rule
        assert any(e["field"].startswith(f"body.{field}") for e in refused.json()["errors"]), refused.json()


def test_an_offices_orders_are_priced_from_its_own_lists_and_the_shared_ones(api):
    operator = api.auth(api.token("operator"))
    _publish(api, operator, SHARED)
    _publish(api, operator, ROMA, "ROMA-1")
    own = api.client.post("/api/v1/orders", headers=operator,
                          json={"amount_minor": 7222, "currency": "EUR", "office": "ROMA-1", "positions": ["CI", "REG"]})
    assert own.status_code == 201, own.text
    elsewhere = api.client.post("/api/v1/orders", headers=operator,
                                json={"amount_minor": 2222, "currency": "EUR", "office": "MILANO-2",
                                      "positions": ["CI"]})
    assert elsewhere.status_code == 422 and "CI" in elsewhere.text
    with api.context.db.connect() as conn:
        merged = service.effective(conn, "ROMA-1")
    assert [p["code"] for p in merged["price_lists"]] == ["ANAG", "VEH"]
    assert [(f["price_list"], f["fixed_minor"]) for f in merged["handling_fees"]] == [("VEH", 100)]


def test_a_payments_discounts_and_handling_fee_are_stored_as_the_desk_sent_them(api):
    operator = api.auth(api.token("operator"))
    positions = [{"code": "CI", "name": "Carta d'identità", "quantity": 1, "unit_minor": 2222, "vat_rate_bp": 0,
                  "discount": {"name": "Smarrimento", "reason": "denuncia 77/2026", "amount_minor": 500}}]
    agent = FakeAgent("desk-9")
    api.store(agent.payment(1722 + 27, positions=positions, language="it",
                            handling_fee={"amount_minor": 27, "tender": "card", "name": "Commissione"}))
    listed = api.client.get("/api/v1/payments", headers=operator).json()["payments"]
    body = api.client.get(f"/api/v1/payments/{listed[0]['id']}", headers=operator).json()["body"]
    assert body["handling_fee"] == {"amount_minor": 27, "tender": "card", "name": "Commissione"}
    assert body["positions"][0]["discount"]["reason"] == "denuncia 77/2026" and body["language"] == "it"


def test_a_fee_charged_with_a_payment_does_not_pay_its_order(api):
    from hub.orders.model import OrderRequest
    from hub.orders.service import create_order
    operator = api.auth(api.token("operator"))
    with api.context.db.begin() as conn:
        create_order(conn, OrderRequest(amount_minor=5000), api.context.settings, "test", order_id="CPFEE0000001")
    agent = FakeAgent("desk-7")
    api.store(agent.payment(5085, reference={"format": "cp-order", "value": "CPFEE0000001"}, order_id="CPFEE0000001",
                            handling_fee={"amount_minor": 85, "tender": "card"}))
    order = api.client.get("/api/v1/orders/CPFEE0000001", headers=operator).json()
    assert (order["status"], order["paid_minor"]) == ("paid", 5000)
    paid = api.client.get("/api/v1/orders", params={"status": "paid"}, headers=operator).json()
    assert "CPFEE0000001" in [o["order_id"] for o in paid]
    # A fee taken apart in cash is not in the card payment's amount: the order counts all of it.
    api.store(agent.payment(2000, reference={"format": "cp-order", "value": "CPFEE0000001"}, order_id="CPFEE0000001",
                            handling_fee={"amount_minor": 100, "tender": "cash"}))
    order = api.client.get("/api/v1/orders/CPFEE0000001", headers=operator).json()
    assert (order["status"], order["paid_minor"]) == ("overpaid", 7000)
