"""Why an order import, a pricing, an order's account, a change or a cancellation, or a card number in
free text is refused: English in the API's JSON, the reader's language on the page.  Each reason's
English is what the English catalogue says under its key, so the two cannot drift apart; a Polish
user's pages say every reason in Polish."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from pydantic import ValidationError
from sqlalchemy import select

from hub.config import Settings
from hub.finance.accounts import add_account, close_account
from hub.orders.changes import OrderChangeInvalid, OrderNotChangeable, cancel_order, change_order
from hub.orders.csv_import import parse_rows
from hub.orders.model import OrderRequest
from hub.orders.paid_into import AccountRefused, order_account
from hub.orders.pricing import PricingError, price
from hub.reasons import Reason, from_validation
from hub.store.db import Database
from hub.store.tables import orders
from hub.users import service
from hub.users.scope import Scope
from hub.web import i18n
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row
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
ROMA, ROMA_TAXES = "IT60X0542811101000000123456", "IT69X0306909606100000063611"
ROMA_OLD, WARSAW = "IT36A0301503200000003517230", "PL61109010140000071219812874"
PAN = "4111111111111111"
PAID_INTO = {"price_lists": [{"code": "REG", "name": "Registry", "positions": [
    {"code": "FEE", "name": "Fee", "unit_price_minor": 1600, "account": ROMA},
    {"code": "TAX", "name": "Tax", "unit_price_minor": 1000, "account": ROMA_TAXES}]}]}


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


def _add_accounts(conn) -> None:
    for office, iban in (("ROMA-1", ROMA), ("ROMA-1", ROMA_TAXES), ("ROMA-1", ROMA_OLD), ("WAW-1", WARSAW)):
        add_account(conn, office=office, iban=iban, actor="test")
    close_account(conn, iban=ROMA_OLD, active_to="2020-12-31", actor="test")


def _service_reasons(tmp_path) -> list[Reason]:
    """The account's, a change's and a cancellation's refusals, and a card number's, from the services."""
    db = Database.open(f"sqlite:///{tmp_path / 'reasons.db'}")
    reasons = []
    try:
        with db.begin() as conn:
            _add_accounts(conn)
            for named, office, codes in [(None, "ROMA-1", ["FEE", "TAX"]), (ROMA_TAXES, "ROMA-1", ["FEE"]),
                                         (WARSAW, "ROMA-1", []), ("DE89370400440532013000", None, []),
                                         (ROMA, None, []), (ROMA_OLD, "ROMA-1", [])]:
                with pytest.raises(AccountRefused) as refused:
                    order_account(conn, {"account_iban": named, "office": office}, PAID_INTO, codes)
                reasons.append(refused.value.reason)
            conn.execute(orders.insert().values(**order_row("ORD1", office="ROMA-1")))
            conn.execute(orders.insert().values(**order_row("ORD2", office="ROMA-1", cancelled_at="2026-11-02T08:00:00Z")))
            everything = Scope.everything()
            for changes in [{"amount_minor": None}, {"amount_minor": 0}, {"due_date": "31/12"}, {"iuv": "x"},
                            {"account_iban": WARSAW}]:
                with pytest.raises(OrderChangeInvalid) as refused:
                    change_order(conn, "ORD1", changes, "test", scope=everything)
                reasons.append(refused.value.args[0])
            for why in ("", "x" * 401):
                with pytest.raises(OrderChangeInvalid) as refused:
                    cancel_order(conn, "ORD1", why, "test", scope=everything)
                reasons.append(refused.value.args[0])
            with pytest.raises(OrderNotChangeable) as refused:
                change_order(conn, "ORD2", {"payer_name": "Ugo"}, "test", scope=everything)
            reasons.append(refused.value.args[0])
        add_payments(db, [payment_row(1, office="ROMA-1", link_status="linked", linked_order_id="ORD1")])
        with db.begin() as conn, pytest.raises(OrderNotChangeable) as refused:
            change_order(conn, "ORD1", {"payer_name": "Ugo"}, "test", scope=Scope.everything())
        reasons.append(refused.value.args[0])
    finally:
        db.dispose()
    with pytest.raises(ValidationError) as refused:
        OrderRequest.model_validate({"amount_minor": 100, "description": f"paid with {PAN}"})
    reasons += from_validation(refused.value)
    return reasons


def test_every_reason_says_in_english_what_the_english_catalogue_says_under_its_key(tmp_path):
    reasons = _reasons() + _service_reasons(tmp_path)
    assert {r.key for r in reasons} >= {"orders.reason.amount_twice", "orders.reason.minor_not_whole",
                                        "orders.reason.money", "orders.reason.amount_required",
                                        "orders.reason.pagopa_eur", "orders.reason.extra_fields",
                                        "orders.reason.no_catalogue", "orders.reason.no_positions",
                                        "orders.reason.position_unknown", "orders.reason.quantity_range",
                                        "orders.reason.account_positions_differ", "orders.reason.account_not_positions",
                                        "orders.reason.account_not_of_office", "orders.reason.account_of_no_office",
                                        "orders.reason.account_office_missing", "orders.reason.account_inactive",
                                        "orders.reason.change_amount_required", "orders.reason.change_amount_positive",
                                        "orders.reason.change_due_date", "orders.reason.change_unknown",
                                        "orders.reason.cancel_reason_required", "orders.reason.cancel_reason_long",
                                        "orders.reason.change_cancelled", "orders.reason.change_paid",
                                        "form.error.card_number"}
    assert all(isinstance(r, Reason) for r in reasons)
    assert [str(r) for r in reasons] == [_said(r, "en") for r in reasons]


@pytest.mark.parametrize("language", ["pl", "it", "el", "lv"])
def test_every_reason_is_said_in_each_language_with_its_values(language, tmp_path):
    for reason in _reasons() + _service_reasons(tmp_path):
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


def _errors_on(page: str) -> dict[str, str]:
    """Field → the error shown beside it (the form's own under "form")."""
    return {field: html.unescape(text) for field, text in
            re.findall(r'<p class="error"[^>]*id="([\w-]+?)-error">(.*?)</p>', page)}


def test_a_polish_users_order_pages_say_account_change_cancel_and_card_number_refusals_in_polish(tmp_path):
    with console(tmp_path) as hub:
        with hub.db.begin() as conn:
            _add_accounts(conn)
            service.create(conn, "ola", PASSWORD, "operator", ["ROMA-1"], "test", language="pl")
        add_orders(hub.db, [order_row(order_id, office="ROMA-1", cancelled_at=cancelled)
                            for order_id, cancelled in (("ORDA1", None), ("ORDP1", None),
                                                        ("ORDC1", "2026-11-02T08:00:00Z"))])
        add_payments(hub.db, [payment_row(1, office="ROMA-1", link_status="linked", linked_order_id="ORDP1")])
        ola = hub.client()
        assert ola.login("ola").status_code == 303
        form = {"csrf_token": ola.csrf}

        def change(order_id, **fields):
            return _errors_on(ola.post(f"/orders/{order_id}/change", data=form | fields).text)

        assert change("ORDA1", due_date="31/12") == {"due_date": "'31/12' nie jest datą (RRRR-MM-DD)"}
        assert change("ORDA1", account=WARSAW, account_offered="1") == {
            "account": "PL61 1090 1014 0000 0712 1981 2874 nie jest rachunkiem bankowym urzędu ROMA-1 (zob. GET "
                       "/api/v1/accounts lub `counterpay hub account list`)"}
        card = ("numer karty jest tu niedozwolony: pełny numer karty nigdy nie jest zapisywany; podaj najwyżej "
                "jego cztery ostatnie cyfry")
        assert change("ORDA1", payer_name=f"Jan {PAN}") == {"payer_name": card}
        assert change("ORDP1", payer_name="Ugo") == {
            "form": "na polecenie ORDP1 wpłynęły już płatności: zmienić można tylko niezapłacone polecenie"}
        # A cancelled order shows no change form; one posted anyway is refused in Polish.
        assert change("ORDC1", payer_name="Ugo") == {"form": "polecenie ORDC1 zostało anulowane w dniu 2026-11-02"}

        def cancel(order_id, reason):
            return _errors_on(ola.post(f"/orders/{order_id}/cancel", data=form | {"reason": reason}).text)

        assert cancel("ORDA1", " ") == {
            "reason": "podaj, dlaczego polecenie jest anulowane: przeczyta to płatnik i stanowisko"}
        assert cancel("ORDA1", f"paid by card {PAN}") == {"reason": card}

        new = ola.post("/orders/new", data=form | {"office": "ROMA-1", "amount": "5,00", "account": WARSAW,
                                                   "payer_name": "Ada"})
        assert new.status_code == 422 and _errors_on(new.text) == {
            "account": "PL61 1090 1014 0000 0712 1981 2874 nie jest rachunkiem bankowym urzędu ROMA-1 "
                       "(zob. GET /api/v1/accounts lub `counterpay hub account list`)"}
        new = ola.post("/orders/new", data=form | {"office": "ROMA-1", "amount": "5,00", "payer_name": f"Jan {PAN}"})
        assert new.status_code == 422 and _errors_on(new.text) == {"payer_name": card}

        text = (f"amount_minor,office,account,description\n1000,ROMA-1,{WARSAW},\n1000,ROMA-1,{ROMA_OLD},\n"
                f"1000,ROMA-1,,paid with {PAN}\n")
        refused = ola.post("/orders/import", data=form, files={"file": ("orders.csv", text.encode(), "text/csv")})
        assert refused.status_code == 422
        rows = {line: html.unescape(said) for line, said in
                re.findall(r'<td class="number">(\d+)</td><td>(.*?)</td>', refused.text)}
        assert rows == {"2": "account: PL61 1090 1014 0000 0712 1981 2874 nie jest rachunkiem bankowym urzędu ROMA-1 "
                             "(zob. GET /api/v1/accounts lub `counterpay hub account list`)",
                        "3": f"account: rachunek IT36 A030 1503 2000 0000 3517 230 urzędu ROMA-1 nie jest używany w "
                             f"dniu {dt.date.today().isoformat()} (używany od … do 2020-12-31)",
                        "4": f"description: {card}"}
        assert PAN not in refused.text

        api = ola.post("/api/v1/orders/import", content=text.encode(),
                       headers={"Content-Type": "text/csv", "X-CSRF-Token": ola.csrf})
        said = {e["line"]: e["errors"] for e in api.json()["row_errors"]}
        assert said[2] == ["account: PL61 1090 1014 0000 0712 1981 2874 is not a bank account of office ROMA-1 "
                           "(see GET /api/v1/accounts or `counterpay hub account list`)"]
        assert said[4] == ["description: a card number is not allowed here: a full card number is never stored; "
                           "give at most its last four digits"]
        changed = ola.post("/api/v1/orders/ORDP1/change", json={"payer_name": "Ugo"},
                           headers={"X-CSRF-Token": ola.csrf})
        assert changed.status_code == 409
        assert changed.json()["detail"] == "order ORDP1 has payments against it: only an unpaid order changes"
        for path, body in (("change", {"payer_name": f"Jan {PAN}"}), ("cancel", {"reason": f"card {PAN}"})):
            screened = ola.post(f"/api/v1/orders/ORDA1/{path}", json=body, headers={"X-CSRF-Token": ola.csrf})
            assert screened.status_code == 422 and "a card number is not allowed here" in screened.text
            assert PAN not in screened.text
        with hub.db.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.order_id == "ORDA1")).mappings().one()
        assert (row["payer_name"], row["cancelled_at"]) == (None, None)
