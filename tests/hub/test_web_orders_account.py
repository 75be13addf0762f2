"""The bank account a payment order is paid into, on the console over real HTTP: the new-order form
offers the office's accounts in use, the order's page shows its account (IBAN in groups of four,
holder), an unpaid order's account changes (audited), and a wrong one is refused beside the field."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from hub.catalogue import service as catalogue
from hub.catalogue.model import Catalogue
from hub.finance.accounts import add_account, close_account
from hub.store.tables import audit_log, orders
from tests.hub.search_rows import add_orders, order_row
from tests.hub.web_support import console

ROMA = "IT60X0542811101000000123456"
ROMA_TAXES = "IT69X0306909606100000063611"
ROMA_OLD = "IT36A0301503200000003517230"
WARSAW = "PL61109010140000071219812874"
CATALOGUE = {"price_lists": [{"code": "REG", "name": "Registry", "positions": [
    {"code": "FEE", "name": "Fee", "unit_price_minor": 1600, "account": ROMA},
    {"code": "TAX", "name": "Tax", "unit_price_minor": 1000, "account": ROMA_TAXES},
    {"code": "COPY", "name": "Copy", "unit_price_minor": 50}]}]}


def _roma(hub):
    with hub.db.begin() as conn:
        for office, iban, holder in (("ROMA-1", ROMA, "Comune di Roma"), ("ROMA-1", ROMA_TAXES, "Tesoreria"),
                                     ("ROMA-1", ROMA_OLD, "Vecchio conto"), ("WAW-1", WARSAW, "Urząd")):
            add_account(conn, office=office, iban=iban, holder=holder, actor="test")
        close_account(conn, iban=ROMA_OLD, active_to="2020-12-31", actor="test")
        version = catalogue.add_draft(conn, Catalogue.model_validate(CATALOGUE), "test")
        catalogue.publish(conn, version, "test")
    hub.user("anna", "operator", ["ROMA-1"])
    anna = hub.client()
    anna.login("anna")
    return anna


def _offered(page: str) -> list[str]:
    select_html = re.search(r'<select id="account".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', select_html)


def _row(hub, order_id: str) -> dict:
    with hub.db.connect() as conn:
        return dict(conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().one())


def test_the_new_order_form_offers_the_offices_accounts_in_use_and_the_order_page_shows_the_one_chosen(tmp_path):
    with console(tmp_path) as hub:
        anna = _roma(hub)
        assert _offered(anna.get("/orders/new").text) == ["", ROMA, ROMA_TAXES]     # closed, other office: not
        made = anna.post("/orders/new", data={"csrf_token": anna.csrf, "office": "ROMA-1", "qty_COPY": "2",
                                              "account": ROMA_TAXES})
        assert made.status_code == 303, made.text
        order_id = made.headers["location"].split("/")[2].split("?")[0]
        assert _row(hub, order_id)["account_iban"] == ROMA_TAXES
        page = anna.get(f"/orders/{order_id}").text
        shown = re.search(r'<dd id="order-account">(.*?)</dd>', page).group(1)
        assert shown == "IT69 X030 6909 6061 0000 0063 611 · Tesoreria"

        by_positions = anna.post("/orders/new", data={"csrf_token": anna.csrf, "office": "ROMA-1", "qty_FEE": "1"})
        assert _row(hub, by_positions.headers["location"].split("/")[2].split("?")[0])["account_iban"] == ROMA


def test_a_new_order_whose_account_does_not_fit_is_refused_beside_the_field_keeping_what_was_typed(tmp_path):
    with console(tmp_path) as hub:
        anna = _roma(hub)
        typed = {"csrf_token": anna.csrf, "office": "ROMA-1", "payer_name": "Ada"}
        foreign = anna.post("/orders/new", data={**typed, "qty_COPY": "1", "account": WARSAW})
        assert foreign.status_code == 422 and 'id="account-error"' in foreign.text and 'value="Ada"' in foreign.text
        assert "PL61 1090 1014 0000 0712 1981 2874 is not a bank account of office ROMA-1" in foreign.text
        against = anna.post("/orders/new", data={**typed, "qty_FEE": "1", "account": ROMA_TAXES})
        assert against.status_code == 422 and "but its positions are paid into IT60 X054" in against.text
        mixed = anna.post("/orders/new", data={**typed, "qty_FEE": "1", "qty_TAX": "1"})
        assert mixed.status_code == 422 and 'id="positions-error"' in mixed.text
        not_iban = anna.post("/orders/new", data={**typed, "qty_COPY": "1", "account": "IT61X0542811101000000123456"})
        assert not_iban.status_code == 422 and "check digits do not match" in not_iban.text
        with hub.db.connect() as conn:
            assert conn.execute(select(orders.c.order_id)).first() is None


def test_an_unpaid_orders_account_changes_audited_and_a_wrong_one_is_refused(tmp_path):
    with console(tmp_path) as hub:
        anna = _roma(hub)
        add_orders(hub.db, [order_row("ORDA1", office="ROMA-1")])
        form = anna.get("/orders/ORDA1").text
        assert _offered(form) == ["", ROMA, ROMA_TAXES] and 'id="order-account">—<' in form
        assert '<input type="hidden" name="account_offered" value="1">' in form
        foreign = anna.post("/orders/ORDA1/change", data={"csrf_token": anna.csrf, "account": WARSAW,
                                                            "account_offered": "1"})
        assert foreign.status_code == 422 and 'id="account-error"' in foreign.text
        assert _row(hub, "ORDA1")["account_iban"] is None
        done = anna.post("/orders/ORDA1/change", data={"csrf_token": anna.csrf, "account": ROMA, "account_offered": "1"})
        assert done.status_code == 303
        assert _row(hub, "ORDA1")["account_iban"] == ROMA
        with hub.db.connect() as conn:
            entry = conn.execute(select(audit_log).where(audit_log.c.action == "order.change")).mappings().one()
        assert entry["actor"] == "user:anna"
        assert json.loads(entry["details"]) == {"before": {"account_iban": None}, "after": {"account_iban": ROMA}}
        again = anna.get("/orders/ORDA1").text
        assert re.search(rf'<option value="{ROMA}" selected>', again)      # the form keeps the order's account
        unchanged = anna.post("/orders/ORDA1/change", data={"csrf_token": anna.csrf, "account": ROMA,
                                                            "account_offered": "1", "payer_name": "Ugo"})
        assert unchanged.status_code == 303 and _row(hub, "ORDA1")["account_iban"] == ROMA
        without = anna.post("/orders/ORDA1/change", data={"csrf_token": anna.csrf, "payer_name": "Ugo Rossi"})
        assert without.status_code == 303 and _row(hub, "ORDA1")["account_iban"] == ROMA    # not offered: stays
        cleared = anna.post("/orders/ORDA1/change", data={"csrf_token": anna.csrf, "account": "",
                                                          "account_offered": "1"})
        assert cleared.status_code == 303 and _row(hub, "ORDA1")["account_iban"] is None   # no positions: none
