"""The fee catalogue pages over real HTTP: the editor's money typed in the user's language
and parsed strictly, errors beside the field with what was typed kept, a draft saved and
published through the API's own model and service, audited under the user's name."""

from __future__ import annotations

import re

import pytest

from hub.audit.log import entries
from hub.catalogue import service
from hub.users import service as users


def _form(admin, price: str = "12.50", vat: str = "21", **extra):
    return {"csrf_token": admin.csrf, "currency": "EUR", "pl0.code": "PASSPORT", "pl0.name": "Passports",
            "pl0.service_step": "", "pl0.legal_acts": "", "pl0.notes": "",
            "pl0.p0.code": "ADULT", "pl0.p0.parent": "", "pl0.p0.name": "Adult passport", "pl0.p0.unit": "piece",
            "pl0.p0.unit_price_minor": price, "pl0.p0.vat_rate_bp": vat, "pl0.p0.legal_act": "",
            "pl0.p0.tenders": ["card", "cash"], "pl0.p0.discounts": "[]",
            "pl0.p1.code": "CHILD", "pl0.p1.parent": "", "pl0.p1.name": "Child passport", "pl0.p1.unit": "piece",
            "pl0.p1.unit_price_minor": "6.00", "pl0.p1.vat_rate_bp": "0", "pl0.p1.legal_act": "",
            "pl0.p1.tenders": ["cash"], "pl0.p1.discounts": "[]",
            "pl0.p2.code": "", "pl0.p2.parent": "", "pl0.p2.name": "", "pl0.p2.unit": "piece",
            "pl0.p2.unit_price_minor": "", "pl0.p2.vat_rate_bp": "0", "action": "save", **extra}


def _error(text: str, field: str) -> str:
    return text.split(f'id="f-{field.replace(".", "-")}-error">')[1].split("</p>")[0]


@pytest.mark.parametrize("price, message", [("12,5", "is not a number"), ("12.505", "has 2 decimals"),
                                            ("-3", "cannot be negative"), ("ten", "is not a number")])
def test_a_price_typed_wrong_is_refused_beside_its_field_and_kept(admin, price, message):
    refused = admin.post("/catalogue/new", data=_form(admin, price=price))
    assert refused.status_code == 422
    assert message in _error(refused.text, "pl0.p0.unit_price_minor")
    assert f'value="{price}"' in refused.text and 'value="Child passport"' in refused.text


def test_the_models_own_checks_and_field_limits_land_beside_what_they_checked(admin):
    repeated = admin.post("/catalogue/new", data=_form(admin, **{"pl0.p1.code": "ADULT"}))
    assert repeated.status_code == 422 and "Position codes repeat: ADULT." in _error(repeated.text, "pl0")
    bad_code = admin.post("/catalogue/new", data=_form(admin, **{"pl0.p0.code": "A B"}))
    assert "Use only letters, digits" in _error(bad_code.text, "pl0.p0.code")
    vat = admin.post("/catalogue/new", data=_form(admin, vat="150"))
    assert "between 0 and 100 %" in _error(vat.text, "pl0.p0.vat_rate_bp")


def test_money_is_read_as_the_users_language_writes_it(hub, admin):
    with hub.db.begin() as conn:
        users.set_language(conn, users.get(conn, "boss"), "pl")
    saved = admin.post("/catalogue/new", data=_form(admin, price="1 234,50", vat="5,5",
                                                     **{"pl0.p1.unit_price_minor": "6,00"}))
    assert saved.status_code == 303
    version = int(re.search(r"/catalogue/versions/(\d+)", saved.headers["location"]).group(1))
    with hub.db.connect() as conn:
        positions = service.get_version(conn, version)["document"]["price_lists"][0]["positions"]
    assert [(p["code"], p["unit_price_minor"], p["vat_rate_bp"], p["tenders"]) for p in positions] == \
        [("ADULT", 123450, 550, ["card", "cash"]), ("CHILD", 600, 0, ["cash"])]
    assert "1234,50" in admin.get("/catalogue/new", params={"source": version}).text.replace("\u00a0", "")


def test_a_draft_saved_and_published_is_the_current_catalogue_audited_by_name(hub, admin):
    saved = admin.post("/catalogue/new", data=_form(admin))
    assert saved.status_code == 303
    location = saved.headers["location"]
    version = int(re.search(r"/versions/(\d+)", location).group(1))
    page = admin.get(location).text
    assert "draft" in page and "Adult passport" in page and "€12.50" in page
    assert admin.post(f"/catalogue/versions/{version}/publish", data={"csrf_token": admin.csrf}).status_code == 303
    assert "published" in admin.get(f"/catalogue/versions/{version}").text
    with hub.db.connect() as conn:
        assert service.current(conn)["version"] == version
        actions = [(e["actor"], e["action"]) for e in entries(conn, subject=f"catalogue:{version}")]
    assert actions == [("user:boss", "catalogue.publish"), ("user:boss", "catalogue.draft")]


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(hub, admin):
    more = admin.post("/catalogue/new", data=_form(admin, action="more"))
    assert more.status_code == 200 and 'value="Adult passport"' in more.text and 'name="pl0.p2.code"' in more.text
    with hub.db.connect() as conn:
        assert service.versions(conn) == []


def test_an_operator_reads_the_catalogue_but_cannot_edit_or_publish_it(hub, admin):
    admin.post("/catalogue/new", data=_form(admin))
    hub.user("olga", "operator", ["ROMA-1"])
    olga = hub.client()
    olga.login("olga")
    assert olga.get("/catalogue/versions/1").status_code == 200
    assert olga.get("/catalogue/new").status_code == 403
    assert olga.post("/catalogue/versions/1/publish", data={"csrf_token": olga.csrf}).status_code == 403


def test_a_catalogue_form_without_its_csrf_token_is_refused(hub, admin):
    assert admin.post("/catalogue/new", data=_form(admin, csrf_token="")).status_code == 403
    with hub.db.connect() as conn:
        assert service.versions(conn) == []


def test_a_discount_of_both_kinds_is_refused_in_the_users_language(hub, admin):
    with hub.db.begin() as conn:
        users.create(conn, "ola", "correct horse battery staple", "admin", None, "test", language="pl")
    ola = hub.client()
    assert ola.login("ola").status_code == 303
    both = '[{"name": "senior", "percent_bp": 5000, "amount_minor": 100}]'
    refused = ola.post("/catalogue/new", data=_form(ola, **{"pl0.p0.discounts": both}))
    assert refused.status_code == 422
    assert "Zniżka jest albo procentowa, albo kwotowa" in refused.text
    assert "percent_bp or amount_minor" not in refused.text
