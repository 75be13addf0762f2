"""How a payment order's notice reaches its payer: e-mail, language and postal address, given
through the API, changed while unpaid, imported from CSV, and refused with the field when wrong."""

from __future__ import annotations

import pytest

from tests.hub.api_support import Api

PAYER = {"name": "Jānis Bērziņš", "id": "LV-120345-12345", "email": "janis@example.lv", "language": "lv",
         "address": "Brīvības iela 1\nRīga LV-1010"}


@pytest.fixture
def api(hub_context):
    return Api(hub_context)


def _admin(api: Api) -> dict:
    return api.auth(api.admin_token)


def test_an_order_keeps_its_payers_email_language_and_address(api):
    made = api.client.post("/api/v1/orders", headers=_admin(api), json={"amount_minor": 1500, "payer": PAYER})
    assert made.status_code == 201, made.text
    order = api.client.get(f"/api/v1/orders/{made.json()['order_id']}", headers=_admin(api)).json()
    assert (order["payer_email"], order["payer_language"], order["payer_address"]) == (
        "janis@example.lv", "lv", "Brīvības iela 1\nRīga LV-1010")
    bare = api.client.post("/api/v1/orders", headers=_admin(api), json={"amount_minor": 1500}).json()
    assert (bare["payer_email"], bare["payer_language"], bare["payer_address"]) == (None, None, None)


@pytest.mark.parametrize("payer, field", [
    ({"email": "not an address"}, "email"),
    ({"email": "two@@example.lv"}, "email"),
    ({"language": "de"}, "language"),
    ({"address": "card 4111 1111 1111 1111"}, "address"),
])
def test_a_wrong_contact_is_refused_naming_its_field(api, payer, field):
    refused = api.client.post("/api/v1/orders", headers=_admin(api), json={"amount_minor": 1500, "payer": payer})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == f"body.payer.{field}", refused.text


def test_an_unpaid_orders_contact_changes_and_the_change_is_audited(api):
    order_id = api.client.post("/api/v1/orders", headers=_admin(api), json={"amount_minor": 1500}).json()["order_id"]
    changed = api.client.post(f"/api/v1/orders/{order_id}/change", headers=_admin(api),
                              json={"payer_email": "anna@example.pl", "payer_language": "pl"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["payer_email"], changed.json()["payer_language"]) == ("anna@example.pl", "pl")
    audit = api.client.get("/api/v1/audit", headers=_admin(api), params={"action": "order.change"}).json()
    entries = audit["entries"] if isinstance(audit, dict) else audit
    assert any(entry["details"]["after"].get("payer_email") == "anna@example.pl" for entry in entries)
    wrong = api.client.post(f"/api/v1/orders/{order_id}/change", headers=_admin(api), json={"payer_language": "xx"})
    assert wrong.status_code == 422


def test_the_csv_import_takes_the_contact_columns_and_refuses_a_bad_one_by_line(api):
    headers = _admin(api) | {"Content-Type": "text/csv"}
    good = ("amount_minor,payer_name,payer_email,payer_language,payer_address\n"
            '1000,Anna Nowak,anna@example.pl,pl,"ul. Marszałkowska 1\n00-001 Warszawa"\n2000,,,,\n')
    made = api.client.post("/api/v1/orders/import", headers=headers, content=good.encode())
    assert made.status_code == 201, made.text
    orders = [api.client.get(f"/api/v1/orders/{o['order_id']}", headers=_admin(api)).json()
              for o in made.json()["orders"]]
    assert [(o["payer_email"], o["payer_language"], o["payer_address"]) for o in orders] == [
        ("anna@example.pl", "pl", "ul. Marszałkowska 1\n00-001 Warszawa"), (None, None, None)]
    bad = "amount_minor,payer_email,payer_language\n1000,anna@example.pl,pl\n1000,nobody,pl\n1000,a@b.it,fr\n"
    refused = api.client.post("/api/v1/orders/import", headers=headers, content=bad)
    assert refused.status_code == 422
    assert [error["line"] for error in refused.json()["row_errors"]] == [3, 4]
