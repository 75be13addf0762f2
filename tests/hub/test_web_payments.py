"""The payments pages over real HTTP: filters in the URL, office scope by list, typed URL and
CSV, the CSV export's columns and formula neutralising, and linking by hand audited."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from hub.store.tables import audit_log, payments
from hub.web.payments_csv import COLUMNS
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row
from tests.hub.web_support import console


def _rows():
    return [payment_row(1, office="ROMA-1", amount_minor=1250, tender="cash", payer_name="=HYPERLINK(\"x\")",
                        reference_value="CASE-7", captured_at="2026-11-02T09:00:00.000Z"),
            payment_row(2, office="ROMA-1", amount_minor=99900, captured_at="2026-11-03T09:00:00.000Z",
                        link_status="linked", linked_order_id="ORD-A"),
            payment_row(3, office="MILANO-2", amount_minor=4400, captured_at="2026-11-03T10:00:00.000Z")]


def _ids(page: str) -> list[str]:
    import re
    return re.findall(r'href="/payments/(\d+)"', page)


def test_the_payments_list_filters_by_the_url_within_the_viewers_offices(tmp_path):
    with console(tmp_path) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        add_payments(hub.db, _rows())
        anna = hub.client()
        anna.login("anna")
        everything = anna.get("/payments")
        assert everything.status_code == 200
        assert sorted(_ids(everything.text)) == ["1", "2"]          # not MILANO-2's
        assert _ids(anna.get("/payments?tender=cash").text) == ["1"]
        assert _ids(anna.get("/payments?amount_min=100&amount_max=1000").text) == ["2"]
        assert _ids(anna.get("/payments?date_from=2026-11-03&date_to=2026-11-03").text) == ["2"]
        assert _ids(anna.get("/payments?office=MILANO-2").text) == []
        assert _ids(anna.get("/payments?sort=amount").text) == ["1", "2"]
        assert _ids(anna.get("/payments?sort=-amount").text) == ["2", "1"]
        bad = anna.get("/payments?date_from=yesterday&amount_min=lots")
        assert bad.status_code == 422
        assert 'id="date_from-error"' in bad.text and 'value="yesterday"' in bad.text
        assert 'id="amount_min-error"' in bad.text and 'value="lots"' in bad.text


def test_a_payment_of_another_office_is_not_found_by_a_typed_url(tmp_path):
    with console(tmp_path) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        add_payments(hub.db, _rows())
        anna = hub.client()
        anna.login("anna")
        assert anna.get("/payments/1").status_code == 200
        assert anna.get("/payments/3").status_code == 404
        refused = anna.post("/payments/3/link", data={"csrf_token": anna.csrf, "case_ref": "CASE-1"})
        assert refused.status_code == 404
        with hub.db.connect() as conn:
            assert conn.execute(select(payments.c.link_status).where(payments.c.id == 3)).scalar() == "unlinked"


def test_the_csv_export_holds_what_the_search_shows_with_formulas_made_inert(tmp_path):
    with console(tmp_path) as hub:
        hub.user("fiona", "finance", ["ROMA-1"])
        add_payments(hub.db, _rows())
        fiona = hub.client()
        fiona.login("fiona")
        response = fiona.get("/payments.csv?tender=cash")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.content.count(b"\r\n") == 2                 # RFC 4180 line ends
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
        assert tuple(rows[0]) == COLUMNS
        [row] = rows[1:]
        record = dict(zip(COLUMNS, row, strict=True))
        assert record["amount"] == "12.50" and record["amount_minor"] == "1250" and record["office"] == "ROMA-1"
        assert record["payer_name"] == "'=HYPERLINK(\"x\")"
        everything = list(csv.reader(io.StringIO(fiona.get("/payments.csv").text)))
        assert sorted(r[0] for r in everything[1:]) == ["1", "2"]  # MILANO-2 not exported


def test_an_operator_without_export_permission_is_refused_the_csv(tmp_path):
    with console(tmp_path) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        assert anna.get("/payments.csv").status_code == 403


def test_linking_an_unlinked_payment_by_hand_is_audited_under_the_users_name(tmp_path):
    with console(tmp_path) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        add_payments(hub.db, _rows())
        add_orders(hub.db, [order_row("ORD-A", office="ROMA-1"), order_row("ORD-B", office="MILANO-2",
                                                                             reference="RF00B")])
        anna = hub.client()
        anna.login("anna")
        assert "/payments/1" in anna.get("/payments/unlinked").text
        other = anna.post("/payments/1/link", data={"csrf_token": anna.csrf, "order_id": "ORD-B", "note": "n"})
        assert other.status_code == 422 and 'id="order_id-error"' in other.text and 'value="ORD-B"' in other.text
        empty = anna.post("/payments/1/link", data={"csrf_token": anna.csrf})
        assert empty.status_code == 422
        without_token = anna.post("/payments/1/link", data={"order_id": "ORD-A"})
        assert without_token.status_code == 403
        done = anna.post("/payments/1/link", data={"csrf_token": anna.csrf, "order_id": "ORD-A",
                                                   "note": "payer phoned"}, follow_redirects=False)
        assert done.status_code == 303
        with hub.db.connect() as conn:
            row = conn.execute(select(payments).where(payments.c.id == 1)).mappings().one()
            entry = conn.execute(select(audit_log).where(audit_log.c.action == "payment.link")).mappings().one()
        assert (row["link_status"], row["linked_order_id"], row["link_method"]) == ("linked", "ORD-A", "manual")
        assert entry["actor"] == "user:anna"
        assert "/payments/1\"" not in anna.get("/payments/unlinked").text
