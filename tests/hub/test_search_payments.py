"""The payments search: each filter of the back office narrows the list, the office scope holds
whatever the filters say, and a page's cursor leads through the filtered list."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.linking.search import PaymentFilter, count, get_payment, search, search_page
from tests.hub.search_rows import add_payments, payment_row

ROWS = [
    payment_row(1, office="A", agent_id="desk-a1", captured_at="2026-11-01T08:00:00.000Z", amount_minor=1500,
                tender="cash", payer_name="Maria Rossi", payer_id="RSSMRA80A01H501U", case_ref="CASE-1",
                link_status="linked", linked_case_ref="CASE-1", reference_value="RF18539007547034",
                linked_order_id="CP0000000001"),
    payment_row(2, office="A", agent_id="desk-a2", captured_at="2026-11-02T08:00:00.000Z", amount_minor=2500,
                tender="card", payer_name="Luca Bianchi"),
    payment_row(3, office="B", agent_id="desk-b1", captured_at="2026-11-02T10:00:00.000Z", amount_minor=9900,
                tender="card", payer_name="Anna Rossini", voided_at="2026-11-02T10:05:00.000Z"),
    payment_row(4, office="B", agent_id="desk-b1", captured_at="2026-11-03T23:59:59.000Z", amount_minor=100,
                tender="cash", payer_name="100% Verdi_"),
    payment_row(5, office="C", agent_id="desk-c1", captured_at="2026-11-04T00:00:00.000Z", amount_minor=2500,
                tender="card"),
]


@pytest.fixture
def db(hub_db):
    add_payments(hub_db, ROWS)
    return hub_db


def found(db, **filters) -> list[str]:
    with db.connect() as conn:
        rows = search(conn, PaymentFilter(**filters))
        assert count(conn, PaymentFilter(**filters)) == len(rows)
    return [row["payment_id"] for row in rows]


@pytest.mark.parametrize("filters, expected", [
    ({}, ["pay-00005", "pay-00004", "pay-00003", "pay-00002", "pay-00001"]),
    ({"date_from": dt.date(2026, 11, 2), "date_to": dt.date(2026, 11, 3)}, ["pay-00004", "pay-00003", "pay-00002"]),
    ({"office": "B"}, ["pay-00004", "pay-00003"]),
    ({"agent": "desk-a2"}, ["pay-00002"]),
    ({"case": "CASE-1"}, ["pay-00001"]),
    ({"reference": "RF18 5390 0754 7034"}, ["pay-00001"]),
    ({"reference": "CP0000000001"}, ["pay-00001"]),
    ({"payer": "RSSMRA80A01H501U"}, ["pay-00001"]),
    ({"payer": "rossi"}, ["pay-00003", "pay-00001"]),
    ({"tender": "cash"}, ["pay-00004", "pay-00001"]),
    ({"status": "linked"}, ["pay-00001"]),
    ({"status": "voided"}, ["pay-00003"]),
    ({"amount_min": 2500}, ["pay-00005", "pay-00003", "pay-00002"]),
    ({"amount_min": 1000, "amount_max": 2500}, ["pay-00005", "pay-00002", "pay-00001"]),
    ({"tender": "card", "office": "A"}, ["pay-00002"]),
    ({"sort": "amount"}, ["pay-00004", "pay-00001", "pay-00002", "pay-00005", "pay-00003"]),
])
def test_each_filter_narrows_the_payments(db, filters, expected):
    assert found(db, **filters) == expected


def test_wildcards_typed_in_a_payer_name_are_taken_literally(db):
    assert found(db, payer="100%") == ["pay-00004"]
    assert found(db, payer="%") == ["pay-00004"]
    assert found(db, payer="Verdi_") == ["pay-00004"]
    assert found(db, payer="_") == ["pay-00004"]


def test_the_office_scope_holds_whatever_the_filters_ask(db):
    assert found(db, offices=frozenset({"A", "C"})) == ["pay-00005", "pay-00002", "pay-00001"]
    assert found(db, offices=frozenset({"A"}), office="B") == []
    assert found(db, offices=frozenset({"A"}), payer="rossi") == ["pay-00001"]
    assert found(db, offices=frozenset()) == []
    with db.connect() as conn:
        (row_b,) = search(conn, PaymentFilter(agent="desk-b1", status="voided"))
        assert get_payment(conn, row_b["id"], offices=frozenset({"A"})) is None
        assert get_payment(conn, row_b["id"], offices=frozenset({"B"}))["body"] == {}


def test_the_cursor_leads_through_the_filtered_list_and_offset_still_works(db):
    with db.connect() as conn:
        first = search_page(conn, PaymentFilter(tender="card", limit=2))
        second = search_page(conn, PaymentFilter(tender="card", limit=2, cursor=first.next_cursor))
        back = search_page(conn, PaymentFilter(tender="card", limit=2, cursor=second.prev_cursor))
        by_offset = search(conn, PaymentFilter(tender="card", limit=2, offset=2))
    assert [r["payment_id"] for r in first.rows] == ["pay-00005", "pay-00003"]
    assert [r["payment_id"] for r in second.rows] == ["pay-00002"] == [r["payment_id"] for r in by_offset]
    assert second.next_cursor is None
    assert [r["payment_id"] for r in back.rows] == ["pay-00005", "pay-00003"] and back.prev_cursor is None


def test_a_count_up_to_a_bound_stops_just_past_it(db):
    with db.connect() as conn:
        assert count(conn, PaymentFilter(), up_to=2) == 3
        assert count(conn, PaymentFilter(tender="cash"), up_to=10) == 2
