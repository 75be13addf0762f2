"""The orders search: `q` finds an order by each of its identifiers, else by part of the payer's
name; status, due date and office filter it; the office scope holds; pages follow the cursor."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.orders.search import OrderFilter, count, search_page
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row

ORDERS = [
    order_row("CP0000000001", office="A", reference="RF18539007547034", case_ref="PRAT-2026/17",
              payer_name="Maria Rossi", payer_id="RSSMRA80A01H501U", due_date="2026-11-30",
              created_at="2026-11-01T08:00:00.000Z", amount_minor=5000),
    order_row("CP0000000002", office="A", reference_format="pagopa", reference="301000000000012345",
              iuv="01000000000012345", payer_name="Luca Bianchi", payer_id="BNCLCU75B02F205X",
              due_date="2026-12-31", created_at="2026-11-02T08:00:00.000Z", amount_minor=3000),
    order_row("CP0000000003", office="B", reference="RF47CP0000000003", payer_name="Anna Rossini_%",
              due_date=None, created_at="2026-11-03T08:00:00.000Z", amount_minor=None, amount_kind="open"),
    order_row("CP0000000004", office="B", reference="RF12CP0000000004", due_date="2026-11-15",
              created_at="2026-11-04T08:00:00.000Z", amount_minor=1000),
    order_row("CP0000000005", office=None, reference="RF99CP0000000005", created_at="2026-11-05T08:00:00.000Z"),
]
PAYMENTS = [
    payment_row(1, amount_minor=2000, link_status="linked", linked_order_id="CP0000000001"),       # partly paid
    payment_row(2, amount_minor=3000, link_status="linked", linked_order_id="CP0000000002"),
    payment_row(7, amount_minor=100, link_status="linked", linked_order_id="CP0000000002"),        # overpaid
    payment_row(3, amount_minor=700, link_status="linked", linked_order_id="CP0000000003"),        # open: paid
    payment_row(4, amount_minor=1500, link_status="linked", linked_order_id="CP0000000004"),
    payment_row(5, amount_minor=9000, link_status="linked", linked_order_id="CP0000000005",
                voided_at="2026-11-05T09:00:00.000Z"),                                             # void: unpaid
    payment_row(6, amount_minor=500, kind="refund", link_status="linked", linked_order_id="CP0000000004"),  # paid
]


@pytest.fixture
def db(hub_db):
    add_orders(hub_db, ORDERS)
    add_payments(hub_db, PAYMENTS)
    return hub_db


def found(db, **filters) -> list[str]:
    with db.connect() as conn:
        rows = search_page(conn, OrderFilter(**filters)).rows
        assert count(conn, OrderFilter(**filters)) == len(rows)
    return [row["order_id"] for row in rows]


@pytest.mark.parametrize("q", ["CP0000000001", "cp0000000001", "PRAT-2026/17", "RF18539007547034",
                               "RF18 5390 0754 7034", "rf18539007547034", "RSSMRA80A01H501U", "rssmra80a01h501u"])
def test_q_finds_an_order_by_each_of_its_identifiers(db, q):
    assert found(db, q=q) == ["CP0000000001"]


@pytest.mark.parametrize("q", ["01000000000012345", "301000000000012345", "3010 0000 0000 0123 45", "BNCLCU75B02F205X"])
def test_q_finds_a_pagopa_order_by_notice_number_iuv_and_fiscal_code(db, q):
    assert found(db, q=q) == ["CP0000000002"]


def test_q_that_is_no_identifier_is_part_of_a_payer_name_with_wildcards_taken_literally(db):
    assert found(db, q="rossi") == ["CP0000000003", "CP0000000001"]
    assert found(db, q="_%") == ["CP0000000003"]
    assert found(db, q="%") == ["CP0000000003"]
    assert found(db, q="nobody") == []


@pytest.mark.parametrize("status, expected", [("unpaid", ["CP0000000005"]), ("partly_paid", ["CP0000000001"]),
                                              ("paid", ["CP0000000004", "CP0000000003"]),
                                              ("overpaid", ["CP0000000002"])])
def test_the_status_filter_matches_what_the_payments_add_up_to(db, status, expected):
    # CP…04: 1500 paid and 500 refunded against 1000 is paid; CP…05's only payment is void
    assert found(db, status=status) == expected


def test_due_date_filters_and_sort(db):
    assert found(db, due_from=dt.date(2026, 11, 16), due_to=dt.date(2026, 11, 30)) == ["CP0000000001"]
    assert found(db, sort="due_date") == ["CP0000000004", "CP0000000001", "CP0000000002",
                                          "CP0000000003", "CP0000000005"]


def test_the_office_scope_holds_and_an_order_with_no_office_is_for_all_office_staff(db):
    assert found(db, offices=frozenset({"B"})) == ["CP0000000004", "CP0000000003"]
    assert found(db, offices=frozenset({"B"}), q="CP0000000001") == []
    assert found(db, offices=frozenset({"A"}), q="rossi") == ["CP0000000001"]
    assert found(db, office="A") == ["CP0000000002", "CP0000000001"]
    assert "CP0000000005" in found(db) and "CP0000000005" not in found(db, offices=frozenset({"A", "B"}))


def test_pages_follow_the_cursor(db):
    with db.connect() as conn:
        first = search_page(conn, OrderFilter(limit=2))
        second = search_page(conn, OrderFilter(limit=2, cursor=first.next_cursor))
        third = search_page(conn, OrderFilter(limit=2, cursor=second.next_cursor))
    assert [[r["order_id"][-1] for r in p.rows] for p in (first, second, third)] == [["5", "4"], ["3", "2"], ["1"]]
    assert third.next_cursor is None


def test_the_status_filter_agrees_with_the_status_an_order_shows(db):
    from hub.orders.service import get_order, order_view
    with db.connect() as conn:
        shown = {o["order_id"]: order_view(conn, get_order(conn, o["order_id"]))["status"] for o in ORDERS}
    for status in ("unpaid", "partly_paid", "paid", "overpaid"):
        assert sorted(found(db, status=status)) == sorted(k for k, v in shown.items() if v == status), status


def test_a_listed_page_of_orders_shows_each_its_own_payments_read_in_one_query(db):
    from sqlalchemy import event

    from hub.orders.service import get_order, order_view, order_views
    add_orders(db, [order_row("CP0000000006", office="A", reference="RF55CP0000000006")])    # nothing paid
    add_payments(db, [payment_row(8, amount_minor=400, link_status="linked", linked_order_id="CP0000000002",
                                  captured_at="2026-11-01T07:00:00.000Z")])                 # before pay-00002
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    with db.connect() as conn:
        listed = search_page(conn, OrderFilter(limit=50)).rows
        event.listen(conn, "before_cursor_execute", seen)
        views = order_views(conn, listed)
        event.remove(conn, "before_cursor_execute", seen)
        one_by_one = [order_view(conn, get_order(conn, row["order_id"])) for row in listed]
        assert order_views(conn, []) == []
    assert len(statements) == 1, statements
    assert views == one_by_one
    paid = {view["order_id"]: [p["payment_id"] for p in view["payments"]] for view in views}
    assert paid == {"CP0000000006": [], "CP0000000005": ["pay-00005"], "CP0000000004": ["pay-00004", "pay-00006"],
                    "CP0000000003": ["pay-00003"], "CP0000000002": ["pay-00008", "pay-00002", "pay-00007"],
                    "CP0000000001": ["pay-00001"]}
    assert {view["order_id"][-1]: view["status"] for view in views} == {
        "6": "unpaid", "5": "unpaid", "4": "paid", "3": "paid", "2": "overpaid", "1": "partly_paid"}
