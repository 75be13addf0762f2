"""The account a payment order is paid into: named by the order or by its catalogue positions (which
must agree), an account of the order's office in use today; the CSV import's `account` column; and
the notice's bank transfer code (EPC, ZBP) carrying the order's account, the configured one as fallback."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image
from pydantic import ValidationError

from hub.catalogue.model import Catalogue
from protocol.qr import image
from tests.hub.api_support import Api

ROMA = "IT60X0542811101000000123456"
ROMA_TAXES = "IT69X0306909606100000063611"
CONFIGURED = "DE89370400440532013000"
WARSAW = "PL61109010140000071219812874"
CATALOGUE = {"currency": "EUR", "price_lists": [{"code": "REG", "name": "Registry", "positions": [
    {"code": "FEE", "name": "Fee", "unit_price_minor": 1600, "account": "it60 x054 2811 1010 0000 0123 456",
     "accounting_code": "E.3.01"},
    {"code": "TAX", "name": "Tax", "unit_price_minor": 1000, "account": ROMA_TAXES},
    {"code": "COPY", "name": "Copy", "unit_price_minor": 50},
]}]}


@pytest.fixture
def api(hub_context):
    api = Api(hub_context)
    admin = api.auth(api.admin_token)
    for office, iban, holder in (("ROMA-1", ROMA, "Comune di Roma"), ("ROMA-1", ROMA_TAXES, "Comune di Roma"),
                                 ("WAW-1", WARSAW, "Urząd Miasta Warszawy")):
        made = api.client.post("/api/v1/accounts", headers=admin, json={"office": office, "iban": iban,
                                                                        "holder": holder})
        assert made.status_code == 201, made.text
    version = api.client.post("/api/v1/catalogue/versions", json=CATALOGUE, headers=admin).json()["version"]
    assert api.client.post(f"/api/v1/catalogue/versions/{version}/publish", headers=admin).status_code == 200
    return api


def _order(api: Api, **fields):
    return api.client.post("/api/v1/orders", headers=api.auth(api.admin_token), json={"amount_minor": 1000, **fields})


def test_an_order_takes_the_account_its_positions_name_or_the_one_it_names(api):
    by_positions = _order(api, office="ROMA-1", positions=["FEE", "COPY"])
    assert by_positions.status_code == 201 and by_positions.json()["account_iban"] == ROMA
    named = _order(api, office="ROMA-1", account="IT69 X030 6909 6061 0000 0063 611")
    assert named.status_code == 201 and named.json()["account_iban"] == ROMA_TAXES
    agreeing = _order(api, office="ROMA-1", positions=["TAX"], account=ROMA_TAXES)
    assert agreeing.status_code == 201 and agreeing.json()["account_iban"] == ROMA_TAXES
    assert _order(api, office="ROMA-1", positions=["COPY"]).json()["account_iban"] is None


@pytest.mark.parametrize("fields, says", [
    ({"office": "ROMA-1", "positions": ["FEE", "TAX"]}, "different accounts"),
    ({"office": "ROMA-1", "positions": ["FEE"], "account": ROMA_TAXES}, "its positions are paid into"),
    ({"office": "MILANO-2", "positions": ["FEE"]}, "not a bank account of office MILANO-2"),
    ({"office": "ROMA-1", "account": WARSAW}, "not a bank account of office ROMA-1"),
    ({"positions": ["FEE"]}, "names its office"),
    ({"office": "ROMA-1", "account": CONFIGURED}, "not a bank account"),
])
def test_an_order_whose_account_does_not_fit_is_refused_saying_why(api, fields, says):
    refused = _order(api, **fields)
    assert refused.status_code == 422 and says in refused.json()["detail"]


def test_an_iban_that_fails_its_checks_is_refused_naming_the_field(api):
    refused = _order(api, office="ROMA-1", account="IT61X0542811101000000123456")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.account"


def test_a_closed_account_takes_no_new_orders(api):
    closed = api.client.post(f"/api/v1/accounts/{ROMA}/close", headers=api.auth(api.admin_token),
                             json={"active_to": "2020-12-31"})
    assert closed.status_code == 200
    refused = _order(api, office="ROMA-1", positions=["FEE"])
    assert refused.status_code == 422 and "not in use" in refused.json()["detail"]


def test_the_csv_import_takes_an_account_column_and_refuses_a_wrong_one_by_line(api):
    admin = api.auth(api.admin_token) | {"Content-Type": "text/csv"}
    good = f"amount_minor,office,account\n1000,ROMA-1,{ROMA}\n2000,ROMA-1,\n"
    made = api.client.post("/api/v1/orders/import", headers=admin, content=good)
    assert made.status_code == 201, made.text
    orders = [api.client.get(f"/api/v1/orders/{o['order_id']}", headers=admin).json() for o in made.json()["orders"]]
    assert [o["account_iban"] for o in orders] == [ROMA, None]
    bad = f"amount_minor,office,account,positions\n1000,ROMA-1,{WARSAW},\n1000,ROMA-1,,FEE TAX\n1000,ROMA-1,{ROMA},\n"
    refused = api.client.post("/api/v1/orders/import", headers=admin, content=bad)
    assert refused.status_code == 422
    assert [(e["line"], "account" in e["errors"][0]) for e in refused.json()["row_errors"]] == [(2, True), (3, True)]


def _codes(api: Api, order_id: str) -> dict:
    png = api.client.get(f"/api/v1/orders/{order_id}/notice.png", headers=api.auth(api.admin_token))
    assert png.status_code == 200
    return {result.format: result for result in image.decode(Image.open(io.BytesIO(png.content)))}


def test_the_notices_epc_code_pays_the_orders_account_and_falls_back_to_the_configured_one(api):
    order = _order(api, office="ROMA-1", positions=["FEE"]).json()
    epc = _codes(api, order["order_id"])["epc"]
    assert epc.valid and epc.fields["iban"] == ROMA and epc.fields["name"] == "Comune di Roma"
    assert epc.fields["reference"] == order["reference"] and epc.fields["amount_minor"] == 1000

    plain = _order(api, office="ROMA-1").json()
    assert "epc" not in _codes(api, plain["order_id"])          # no account, none configured: no transfer code
    state = api.client.app.state
    state.settings = dataclasses.replace(state.settings, iban=CONFIGURED, beneficiary="Hub office")
    fallback = _codes(api, plain["order_id"])["epc"]
    assert fallback.fields["iban"] == CONFIGURED and fallback.fields["name"] == "Hub office"
    assert _codes(api, order["order_id"])["epc"].fields["iban"] == ROMA     # the order's account still wins


def test_the_notices_zbp_code_pays_a_polish_orders_account(api):
    order = _order(api, office="WAW-1", currency="PLN", amount_minor=12345, account=WARSAW).json()
    zbp = _codes(api, order["order_id"])["zbp"]
    assert zbp.valid and zbp.fields["account"] == WARSAW[2:] and zbp.fields["amount_minor"] == 12345
    assert zbp.fields["name"] == "Urząd Miasta Warszaw" and zbp.fields["title"] == order["reference"]
    pdf = api.client.get(f"/api/v1/orders/{order['order_id']}/notice.pdf", headers=api.auth(api.admin_token))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_catalogue_position_with_an_account_that_is_no_iban_is_refused():
    broken = {"price_lists": [{"code": "L", "name": "L", "positions": [
        {"code": "P", "name": "P", "unit_price_minor": 1, "account": "IT61X0542811101000000123456"}]}]}
    with pytest.raises(ValidationError) as refused:
        Catalogue.model_validate(broken)
    assert refused.value.errors()[0]["loc"][-1] == "account"
    fine = Catalogue.model_validate(CATALOGUE)
    assert fine.price_lists[0].positions[0].account == ROMA
    assert fine.price_lists[0].positions[0].accounting_code == "E.3.01"


def test_the_configured_notice_account_must_be_a_valid_iban(tmp_path):
    from hub.config import ConfigError
    from tests.hub.config_support import settings_for
    assert settings_for(tmp_path / "good", orders={"iban": "de89 3704 0044 0532 0130 00"}).iban == CONFIGURED
    with pytest.raises(ConfigError, match=r"\[orders\] iban = 'DE88370400440532013000'; expected a valid IBAN"):
        settings_for(tmp_path / "bad", orders={"iban": "DE88370400440532013000"})
