"""The console's catalogue pages with offices over real HTTP: the editor's office choice, an office's
admin keeping only its own office's catalogue (never the shared one, never another office's), handling
fee rules typed one per line, and the version page showing the office, notes, discounts and fees."""

from __future__ import annotations

import re

from hub.catalogue import service

FEE = '{"price_list": "ANAG", "fixed_minor": 50, "tenders": ["card"], "collect": "apart"}'


def _form(visitor, office: str, fees: str = FEE, **extra):
    return {"csrf_token": visitor.csrf, "currency": "EUR", "office": office, "handling_fees": fees,
            "pl0.code": "ANAG", "pl0.name": "Anagrafe", "pl0.service_step": "1", "pl0.legal_acts": "", "pl0.notes": "",
            "pl0.p0.code": "CI", "pl0.p0.parent": "", "pl0.p0.name": "Carta d'identità", "pl0.p0.unit": "piece",
            "pl0.p0.unit_price_minor": "22.22", "pl0.p0.vat_rate_bp": "0", "pl0.p0.legal_act": "DPR 445/2000",
            "pl0.p0.notes": "Portare la foto", "pl0.p0.tenders": ["card", "cash"],
            "pl0.p0.discounts": '[{"name": "Smarrimento", "amount_minor": 500}]', "action": "save", **extra}


def _version(response) -> int:
    assert response.status_code == 303, response.text
    return int(re.search(r"/catalogue/versions/(\d+)", response.headers["location"]).group(1))


def test_an_offices_admin_keeps_its_own_catalogue_and_not_the_shared_one(hub):
    hub.user("rosa", "admin", ["ROMA-1"])
    hub.user("mila", "admin", ["MILANO-2"])
    rosa = hub.client()
    assert rosa.login("rosa").status_code == 303
    editor = rosa.get("/catalogue/new").text
    assert '<option value="ROMA-1" selected>' in editor and "shared (every office)" not in editor
    shared = rosa.post("/catalogue/new", data=_form(rosa, ""))
    assert shared.status_code == 422 and "You may change only the catalogues of your own offices" in shared.text
    other = rosa.post("/catalogue/new", data=_form(rosa, "MILANO-2"))
    assert other.status_code == 422
    version = _version(rosa.post("/catalogue/new", data=_form(rosa, "ROMA-1")))
    page = rosa.get(f"/catalogue/versions/{version}").text
    for expected in ("Office: ROMA-1", "Portare la foto", "Smarrimento", "Handling fees", "apart, in cash"):
        assert expected in page, expected
    assert rosa.post(f"/catalogue/versions/{version}/publish", data={"csrf_token": rosa.csrf}).status_code == 303
    with hub.db.connect() as conn:
        document = service.current(conn, "ROMA-1")
        assert service.current(conn) is None
    assert document["handling_fees"] == [{"price_list": "ANAG", "name": None, "fixed_minor": 50, "percent_bp": 0,
                                          "min_minor": 0, "max_minor": None, "tenders": ["card"],
                                          "collect": "apart", "accounting_code": None}]
    mila = hub.client()
    assert mila.login("mila").status_code == 303
    assert mila.get(f"/catalogue/versions/{version}").status_code == 404
    assert mila.post(f"/catalogue/versions/{version}/publish", data={"csrf_token": mila.csrf}).status_code == 404
    assert "ROMA-1" not in mila.get("/catalogue").text.split("<tbody>")[1]


def test_an_admin_of_every_office_chooses_shared_or_an_office_and_filters_by_it(hub, admin):
    shared = _version(admin.post("/catalogue/new", data=_form(admin, "", fees="")))
    roma = _version(admin.post("/catalogue/new", data=_form(admin, "ROMA-1")))
    listing = admin.get("/catalogue", params={"office": "ROMA-1"}).text
    assert f"/catalogue/versions/{roma}" in listing and f"/catalogue/versions/{shared}\"" not in listing
    only_shared = admin.get("/catalogue", params={"office": "-"}).text
    assert f"/catalogue/versions/{shared}" in only_shared and f"/catalogue/versions/{roma}\"" not in only_shared
    again = admin.get(f"/catalogue/new?source={roma}").text
    assert '<option value="ROMA-1" selected>' in again and "&#34;collect&#34;: &#34;apart&#34;" in again


def test_a_fee_line_that_is_not_json_is_refused_beside_the_field_and_kept(hub, admin):
    refused = admin.post("/catalogue/new", data=_form(admin, "ROMA-1", fees=FEE + "\nfixed 50"))
    assert refused.status_code == 422 and "Handling fees, line 2: not a JSON object." in refused.text
    assert "fixed 50" in refused.text
    empty = admin.post("/catalogue/new", data=_form(admin, "ROMA-1", fees='{"price_list": "ANAG"}'))
    assert empty.status_code == 422 and "needs a fixed amount, a percentage or a minimum" in empty.text
