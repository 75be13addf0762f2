"""The orders pages over real HTTP: `q`, office scope by list, typed URL and API, creation from
catalogue positions, change and cancel audited, and the CSV/XLSX import all or nothing."""

from __future__ import annotations

import io
import json
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from hub.catalogue import service as catalogue
from hub.catalogue.model import Catalogue
from hub.linking.linker import find_link
from hub.store.tables import audit_log, orders
from tests.hub.search_rows import add_orders, order_row, payment_row
from tests.hub.web_support import console

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _two_offices(hub):
    hub.user("anna", "operator", ["ROMA-1"])
    add_orders(hub.db, [order_row("ORDA1", office="ROMA-1", payer_id="RSSMRA80A01H501U", reference="RF18A1"),
                        order_row("ORDB1", office="MILANO-2", reference="RF18B1")])
    anna = hub.client()
    anna.login("anna")
    return anna


def _orders_in(page: str) -> list[str]:
    return re.findall(r'href="/orders/(ORD[A-Z0-9]+)"', page)


def test_q_finds_an_order_by_any_identifier_within_the_viewers_offices(tmp_path):
    with console(tmp_path) as hub:
        anna = _two_offices(hub)
        assert _orders_in(anna.get("/orders").text) == ["ORDA1"]
        assert _orders_in(anna.get("/orders?q=ORDA1").text) == ["ORDA1"]
        assert _orders_in(anna.get("/orders?q=RSSMRA80A01H501U").text) == ["ORDA1"]
        assert _orders_in(anna.get("/orders?q=ORDB1").text) == []
        assert _orders_in(anna.get("/orders?status=paid").text) == []
        assert _orders_in(anna.get("/orders?status=unpaid").text) == ["ORDA1"]


def test_another_offices_order_is_not_found_by_typed_url_nor_changed(tmp_path):
    with console(tmp_path) as hub:
        anna = _two_offices(hub)
        assert anna.get("/orders/ORDA1").status_code == 200
        assert anna.get("/orders/ORDB1").status_code == 404
        assert anna.get("/orders/ORDB1/notice.pdf").status_code == 404
        assert anna.post("/orders/ORDB1/cancel", data={"csrf_token": anna.csrf, "reason": "x"}).status_code == 404
        with hub.db.connect() as conn:
            assert conn.execute(select(orders.c.cancelled_at).where(orders.c.order_id == "ORDB1")).scalar() is None


def test_cancelling_an_unpaid_order_is_audited_and_its_payments_stay_unlinked(tmp_path):
    with console(tmp_path) as hub:
        anna = _two_offices(hub)
        no_reason = anna.post("/orders/ORDA1/cancel", data={"csrf_token": anna.csrf, "reason": " "})
        assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
        done = anna.post("/orders/ORDA1/cancel", data={"csrf_token": anna.csrf, "reason": "issued twice"})
        assert done.status_code == 303
        with hub.db.connect() as conn:
            entry = conn.execute(select(audit_log).where(audit_log.c.action == "order.cancel")).mappings().one()
            link = find_link(conn, payment_row(1, order_ref="ORDA1"))
        assert entry["actor"] == "user:anna" and json.loads(entry["details"])["reason"] == "issued twice"
        assert link.status == "unlinked" and "cancelled" in link.note and "issued twice" in link.note
        page = anna.get("/orders/ORDA1").text
        assert "Cancelled" in page and "issued twice" in page and "/cancel" not in page


def test_changing_an_unpaid_order_is_audited_with_before_and_after(tmp_path):
    with console(tmp_path) as hub:
        anna = _two_offices(hub)
        bad = anna.post("/orders/ORDA1/change", data={"csrf_token": anna.csrf, "amount": "ten", "payer_name": "Ugo"})
        assert bad.status_code == 422 and 'id="amount-error"' in bad.text and 'value="Ugo"' in bad.text
        done = anna.post("/orders/ORDA1/change", data={"csrf_token": anna.csrf, "amount": "75.00",
                                                       "payer_name": "Ugo Rossi", "due_date": "2026-12-31"})
        assert done.status_code == 303
        with hub.db.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.order_id == "ORDA1")).mappings().one()
            entry = conn.execute(select(audit_log).where(audit_log.c.action == "order.change")).mappings().one()
        assert (row["amount_minor"], row["payer_name"], row["due_date"]) == (7500, "Ugo Rossi", "2026-12-31")
        details = json.loads(entry["details"])
        assert details["before"]["amount_minor"] == 5000 and details["after"]["amount_minor"] == 7500


def test_an_order_from_positions_has_its_amount_computed_for_the_users_office(tmp_path):
    with console(tmp_path) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        with hub.db.begin() as conn:
            version = catalogue.add_draft(conn, Catalogue.model_validate({"price_lists": [{"code": "ID", "name": "Identity",
                "positions": [{"code": "ID-CARD", "name": "Identity card", "unit_price_minor": 2250},
                              {"code": "PHOTO", "name": "Photo", "unit_price_minor": 300}]}]}), "test")
            catalogue.publish(conn, version, "test")
        anna = hub.client()
        anna.login("anna")
        form = anna.get("/orders/new").text
        assert 'id="qty_ID-CARD"' in form and "€22.50" in form
        picked = {"csrf_token": anna.csrf, "office": "ROMA-1", "qty_ID-CARD": "1", "qty_PHOTO": "2"}
        assert "Amount from the positions: €28.50" in anna.post("/orders/new/total", data=picked).text
        computed = anna.post("/orders/new", data={**picked, "compute": "1"})       # the button, without htmx
        assert computed.status_code == 200 and "€28.50" in computed.text and 'value="2"' in computed.text
        other = anna.post("/orders/new", data={"csrf_token": anna.csrf, "office": "MILANO-2", "qty_ID-CARD": "1",
                                               "payer_name": "Ada"})
        assert other.status_code == 422 and 'id="office-error"' in other.text and 'value="Ada"' in other.text
        made = anna.post("/orders/new", data={"csrf_token": anna.csrf, "office": "ROMA-1", "qty_ID-CARD": "1",
                                              "qty_PHOTO": "2", "amount": ""})
        assert made.status_code == 303
        order_id = made.headers["location"].split("/")[2].split("?")[0]
        with hub.db.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().one()
        assert (row["amount_minor"], row["office"], row["positions"]) == (2850, "ROMA-1", "ID-CARD,PHOTO")


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(hub) -> int:
    with hub.db.connect() as conn:
        return conn.execute(select(func.count()).select_from(orders)).scalar_one()


def test_an_xlsx_with_one_bad_row_is_refused_whole_with_its_line_and_reason(tmp_path):
    with console(tmp_path) as hub:
        anna = _two_offices(hub)
        bad = _xlsx([["case_ref", "payer_name", "amount", "office"], ["C-1", "Ada", 12.5, "ROMA-1"],
                     ["C-2", "Bea", "twelve", "ROMA-1"], ["C-3", "Cid", 30, "MILANO-2"]])
        refused = anna.post("/orders/import", data={"csrf_token": anna.csrf},
                            files={"file": ("orders.xlsx", bad, XLSX)})
        assert refused.status_code == 422
        assert re.search(r'<td class="number">3</td><td>amount: ', refused.text)
        assert re.search(r'<td class="number">4</td><td>office: MILANO-2 is not one of your offices', refused.text)
        assert _count(hub) == 2
        good = _xlsx([["case_ref", "payer_name", "amount"], ["C-1", "Ada", 12.5], ["C-2", "Bea", 1200]])
        done = anna.post("/orders/import", data={"csrf_token": anna.csrf}, files={"file": ("orders.xlsx", good, XLSX)})
        assert done.status_code == 201 and "2 payment orders imported" in done.text
        with hub.db.connect() as conn:
            made = conn.execute(select(orders.c.amount_minor, orders.c.office).where(orders.c.case_ref.in_(["C-1", "C-2"]))
                                .order_by(orders.c.case_ref)).all()
        assert [tuple(r) for r in made] == [(1250, "ROMA-1"), (120000, "ROMA-1")]


def test_a_csv_with_one_bad_row_is_refused_whole(tmp_path):
    with console(tmp_path) as hub:
        anna = _two_offices(hub)
        text = "case_ref,amount,office\nC-1,10.00,ROMA-1\nC-2,,ROMA-1\n"
        refused = anna.post("/orders/import", data={"csrf_token": anna.csrf},
                            files={"file": ("orders.csv", text.encode(), "text/csv")})
        assert refused.status_code == 422 and '<td class="number">3</td>' in refused.text
        assert _count(hub) == 2


def test_the_api_answers_orders_and_payments_within_the_callers_offices(hub_context):
    from tests.hub.api_support import Api
    api = Api(hub_context)
    from hub.api.deps import get_principal
    from hub.api.security import Principal
    from hub.store.tables import payments as payment_table
    from hub.users.scope import Scope
    from tests.hub.search_rows import add_payments
    add_orders(api.context.db, [order_row("ORDA1", office="ROMA-1", reference="RF18A1"),
                                order_row("ORDB1", office="MILANO-2", reference="RF18B1")])
    add_payments(api.context.db, [payment_row(1, office="ROMA-1"), payment_row(2, office="MILANO-2")])
    app = api.client.app
    app.dependency_overrides[get_principal] = lambda: Principal(7, "roma clerk", "operator",
                                                                scope=Scope.of(["ROMA-1"]))
    try:
        assert api.client.get("/api/v1/orders/ORDA1").status_code == 200
        assert api.client.get("/api/v1/orders/ORDB1").status_code == 404
        assert [o["order_id"] for o in api.client.get("/api/v1/orders").json()] == ["ORDA1"]
        assert [o["order_id"] for o in api.client.get("/api/v1/orders?payer=&reference=RF18B1").json()] == []
        assert api.client.post("/api/v1/orders/ORDB1/cancel", json={"reason": "x"}).status_code == 404
        assert api.client.post("/api/v1/orders", json={"amount_minor": 100, "office": "MILANO-2"}).status_code == 422
        assert [p["office"] for p in api.client.get("/api/v1/payments").json()["payments"]] == ["ROMA-1"]
        ids = {p["office"]: p["id"] for p in api.client.get("/api/v1/payments").json()["payments"]}
        with api.context.db.connect() as conn:
            milano = conn.execute(select(payment_table.c.id).where(payment_table.c.office == "MILANO-2")).scalar()
        assert api.client.get(f"/api/v1/payments/{milano}").status_code == 404
        assert api.client.post(f"/api/v1/payments/{ids['ROMA-1']}/link", json={"order_id": "ORDB1"}).status_code == 404
        cancelled = api.client.post("/api/v1/orders/ORDA1/cancel", json={"reason": "duplicate"})
        assert cancelled.status_code == 200 and cancelled.json()["cancel_reason"] == "duplicate"
    finally:
        app.dependency_overrides.clear()
