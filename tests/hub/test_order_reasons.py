"""Why an order import or a pricing is refused: English in the API's JSON, the reader's language on
the page.  Each reason's English is what the English catalogue says under its key, so the two
cannot drift apart; a Polish user's import page says every reason in Polish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.config import Settings
from hub.orders.csv_import import parse_rows
from hub.orders.pricing import PricingError, price
from hub.reasons import Reason
from hub.users import service
from hub.web import i18n
from tests.hub.web_support import PASSWORD, console

BAD_ROWS = ("case_ref,payer_name,amount,amount_minor,currency,amount_kind,reference_format,positions,office\n"
            "C-1,Ada,10.00,1000,,fixed,,,\n"           # both amounts
            "C-2,Bea,,12x,,fixed,,,\n"                 # minor units not whole
            "C-3,Cid,ten,,,fixed,,,\n"                 # no amount
            "C-4,Dan,,,,fixed,,,\n"                    # fixed without an amount (the model's own check)
            "C-5,Eve,5.00,,USD,fixed,pagopa,,\n"       # pagoPA in USD (the model's own check)
            "C-6,Fay,5.00,,,fixed,,,,surplus\n")       # a field too many
CATALOGUE = {"price_lists": [{"code": "ID", "name": "Identity", "positions": [
    {"code": "CARD", "name": "Identity card", "unit_price_minor": 1500}]}]}


def _said(reason: Reason, language: str) -> str:
    text = i18n.catalogue(language).t(reason.key, **reason.params)
    return f"{reason.field}: {text}" if reason.field else text


def _reasons() -> list[Reason]:
    _, row_errors = parse_rows(BAD_ROWS, Settings(database_url="sqlite://", data_dir=Path("unused")))
    assert [e.line for e in row_errors] == [2, 3, 4, 5, 6, 7]
    reasons = [reason for e in row_errors for reason in e.errors]
    for picks, document in [({"CARD": 1}, None), ({"CARD": 0}, CATALOGUE), ({"GHOST": 1}, CATALOGUE),
                            ({"CARD": 10_001}, CATALOGUE)]:
        with pytest.raises(PricingError) as refused:
            price(document, picks)
        reasons.append(refused.value.reason)
    return reasons


def test_every_reason_says_in_english_what_the_english_catalogue_says_under_its_key():
    reasons = _reasons()
    assert {r.key for r in reasons} >= {"orders.reason.amount_twice", "orders.reason.minor_not_whole",
                                        "orders.reason.money", "orders.reason.amount_required",
                                        "orders.reason.pagopa_eur", "orders.reason.extra_fields",
                                        "orders.reason.no_catalogue", "orders.reason.no_positions",
                                        "orders.reason.position_unknown", "orders.reason.quantity_range"}
    assert [str(r) for r in reasons] == [_said(r, "en") for r in reasons]


@pytest.mark.parametrize("language", ["pl", "it", "el", "lv"])
def test_every_reason_is_said_in_each_language_with_its_values(language):
    for reason in _reasons():
        said = _said(reason, language)
        assert said != str(reason), (reason.key, language)
        for value in reason.params.values():
            assert str(value) in said, (reason.key, language)


def test_a_polish_users_import_page_says_each_bad_rows_reason_in_polish_and_the_api_in_english(tmp_path):
    with console(tmp_path) as hub:
        with hub.db.begin() as conn:
            service.create(conn, "ola", PASSWORD, "operator", ["ROMA-1"], "test", language="pl")
        ola = hub.client()
        assert ola.login("ola").status_code == 303
        text = BAD_ROWS + "C-7,Gil,5.00,,,fixed,,,MILANO-2\n"
        refused = ola.post("/orders/import", data={"csrf_token": ola.csrf},
                           files={"file": ("orders.csv", text.encode(), "text/csv")})
        assert refused.status_code == 422
        rows = dict(re.findall(r'<td class="number">(\d+)</td><td>(.*?)</td>', refused.text))
        assert rows["2"] == "podaj amount albo amount_minor, nie obie"
        assert rows["4"] == "amount: ten nie jest kwotą w EUR: zapisz ją jak 12.34 lub 12,34"
        assert rows["5"] == "row: zlecenie o stałej kwocie wymaga kwoty (amount lub amount_minor)"
        assert rows["7"] == "o 1 pól więcej niż w nagłówku"
        assert rows["8"] == "office: MILANO-2 nie jest jednym z twoich urzędów (ROMA-1)"

        api = ola.post("/api/v1/orders/import", content=text.encode(),
                       headers={"Content-Type": "text/csv", "X-CSRF-Token": ola.csrf})
        assert api.status_code == 422
        said = {e["line"]: e["errors"] for e in api.json()["row_errors"]}
        assert said[2] == ["give either amount or amount_minor, not both"]
        assert said[8] == ["office: MILANO-2 is not one of your offices (ROMA-1)"]
