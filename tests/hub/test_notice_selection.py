"""Which orders get a notice: named ones as named, or the unpaid and uncancelled ones of an office
due before a day, always within the caller's offices, a batch at a time in a stable order."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.notices import selection as selection_module
from hub.notices.selection import SelectionError, select_orders
from hub.users.scope import Scope
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row

EVERYTHING = Scope.everything()
def row(order_id: str, **columns) -> dict:
    return order_row(order_id, **({"cancelled_at": None, "cancelled_by": None, "cancel_reason": None} | columns))


ORDERS = [
    row("CP0000000001", office="A", due_date="2026-03-01", created_at="2026-01-01T08:00:00.000Z"),
    row("CP0000000002", office="A", due_date="2026-05-01", created_at="2026-01-02T08:00:00.000Z"),
    row("CP0000000003", office="B", due_date="2026-03-01", created_at="2026-01-03T08:00:00.000Z"),
    row("CP0000000004", office="A", due_date=None, created_at="2026-01-04T08:00:00.000Z"),
    row("CP0000000005", office="A", due_date="2026-02-01", created_at="2026-01-05T08:00:00.000Z"),  # paid
    row("CP0000000006", office="A", due_date="2026-02-01", created_at="2026-01-06T08:00:00.000Z",
              cancelled_at="2026-01-07T08:00:00.000Z", cancelled_by="test", cancel_reason="wrong"),
    row("CP0000000007", office="A", due_date="2026-02-01", created_at="2026-01-07T08:00:00.000Z"),  # partly
]


@pytest.fixture
def db(hub_db):
    add_orders(hub_db, ORDERS)
    add_payments(hub_db, [payment_row(1, amount_minor=5000, link_status="linked", linked_order_id="CP0000000005"),
                          payment_row(2, amount_minor=100, link_status="linked", linked_order_id="CP0000000007")])
    return hub_db


def chosen(db, **selection) -> list[str]:
    selection.setdefault("scope", EVERYTHING)
    with db.connect() as conn:
        return [order["order_id"] for order in select_orders(conn, **selection)]


def test_unpaid_selects_orders_with_nothing_paid_and_not_cancelled_oldest_first(db):
    assert chosen(db, unpaid=True) == ["CP0000000001", "CP0000000002", "CP0000000003", "CP0000000004"]


def test_office_and_due_before_narrow_the_unpaid_and_an_order_without_due_date_is_not_due(db):
    assert chosen(db, unpaid=True, office="A") == ["CP0000000001", "CP0000000002", "CP0000000004"]
    assert chosen(db, unpaid=True, due_before=dt.date(2026, 5, 1)) == ["CP0000000001", "CP0000000003"]
    assert chosen(db, unpaid=True, office="A", due_before="2026-03-02") == ["CP0000000001"]


def test_named_orders_come_as_named_paid_or_not_each_once(db):
    assert chosen(db, order_ids=["CP0000000005", "CP0000000001", "CP0000000005"]) == ["CP0000000005", "CP0000000001"]


def test_a_scope_sees_its_offices_only_and_refuses_an_order_outside_like_a_missing_one(db):
    assert chosen(db, unpaid=True, scope=Scope.of(["B"])) == ["CP0000000003"]
    with pytest.raises(SelectionError, match="no payment order CP0000000001 in your offices"):
        chosen(db, order_ids=["CP0000000001"], scope=Scope.of(["B"]))
    with pytest.raises(SelectionError, match="no payment order NOPE"):
        chosen(db, order_ids=["NOPE", "CP0000000003"])
    with pytest.raises(SelectionError, match="--office A: not one of your offices"):
        chosen(db, unpaid=True, office="A", scope=Scope.of(["B"]))


@pytest.mark.parametrize("selection, message", [
    ({}, "--order ID"),
    ({"unpaid": True, "order_ids": ["CP0000000001"]}, "not both"),
    ({"order_ids": ["CP0000000001"], "office": "A"}, "narrow --unpaid"),
    ({"unpaid": True, "due_before": "31/12/2026"}, "--due-before '31/12/2026'"),
])
def test_a_wrong_selection_is_refused_before_any_order_naming_the_option(db, selection, message):
    with pytest.raises(SelectionError, match=message):
        select_orders(None, scope=EVERYTHING, **selection)   # refused before it touches the database


def test_batches_follow_one_another_by_key_without_losing_or_repeating_an_order(db, monkeypatch):
    monkeypatch.setattr(selection_module, "BATCH", 2)
    assert chosen(db, unpaid=True) == ["CP0000000001", "CP0000000002", "CP0000000003", "CP0000000004"]
    assert chosen(db, order_ids=[f"CP000000000{n}" for n in (7, 1, 2, 3, 6)]) == [
        "CP0000000007", "CP0000000001", "CP0000000002", "CP0000000003", "CP0000000006"]
