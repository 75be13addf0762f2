"""Keyset pages: followed forwards or backwards, they give every row exactly once in the list's
order, ties and NULL keys included; a cursor from another sort, or made up, is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.store.paging import Ordering, PagingError, Sort, fetch_page
from hub.store.tables import orders, payments
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row

PAYMENTS = Ordering(columns={"captured_at": payments.c.captured_at, "amount": payments.c.amount_minor},
                    unique=payments.c.id, default=Sort("captured_at", descending=True))
ORDERS = Ordering(columns={"due_date": orders.c.due_date}, unique=orders.c.order_id, default=Sort("due_date"))


def walk(conn, query, ordering, sort, limit, unique):
    """Every page forwards from the first, then backwards from the last; the unique values seen."""
    forward, pages, cursor = [], [], None
    while True:
        page = fetch_page(conn, query, ordering, sort=sort, cursor=cursor, limit=limit)
        assert len(page.rows) <= limit
        pages.append(page)
        forward += [row[unique] for row in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    page = pages[-1]
    backward = [row[unique] for row in page.rows]
    while page.prev_cursor is not None:
        page = fetch_page(conn, query, ordering, sort=sort, cursor=page.prev_cursor, limit=limit)
        backward = [row[unique] for row in page.rows] + backward
    assert pages[0].prev_cursor is None
    return forward, backward


@pytest.fixture
def tied_payments(hub_db):
    # 23 payments at only 4 distinct times and 3 distinct amounts: most keys are ties.
    add_payments(hub_db, [payment_row(n, captured_at=f"2026-11-0{1 + n % 4}T09:00:00.000Z",
                                      amount_minor=[500, 1000, 2500][n % 3]) for n in range(23)])
    with hub_db.connect() as conn:
        return hub_db, [dict(r) for r in conn.execute(select(payments.c.id, payments.c.captured_at,
                                                             payments.c.amount_minor)).mappings()]


@pytest.mark.parametrize("sort, key, descending", [("-captured_at", "captured_at", True),
                                                   ("captured_at", "captured_at", False),
                                                   ("amount", "amount_minor", False),
                                                   ("-amount", "amount_minor", True)])
@pytest.mark.parametrize("limit", [1, 4, 23, 50])
def test_pages_give_every_payment_once_in_order_both_ways(tied_payments, sort, key, descending, limit):
    db, rows = tied_payments
    expected = [r["id"] for r in sorted(rows, key=lambda r: (r[key], r["id"]), reverse=descending)]
    with db.connect() as conn:
        forward, backward = walk(conn, select(payments), PAYMENTS, sort, limit, "id")
    assert forward == expected
    assert backward == expected


@pytest.mark.parametrize("descending", [False, True])
def test_null_keys_come_last_in_either_direction_and_are_paged_like_the_rest(hub_db, descending):
    dues = [None, "2026-12-01", None, "2026-11-15", "2026-12-01", None, "2027-01-31", "2026-11-15", None]
    add_orders(hub_db, [order_row(f"CP{n:03d}", due_date=due) for n, due in enumerate(dues)])
    dated = sorted(((due, f"CP{n:03d}") for n, due in enumerate(dues) if due), reverse=descending)
    undated = sorted((f"CP{n:03d}" for n, due in enumerate(dues) if due is None), reverse=descending)
    expected = [order_id for _, order_id in dated] + undated
    for limit in (1, 2, 4, 9):
        with hub_db.connect() as conn:
            forward, backward = walk(conn, select(orders), ORDERS, Sort("due_date", descending), limit, "order_id")
        assert forward == expected, limit
        assert backward == expected, limit


def test_a_filtered_page_follows_the_filter_and_an_empty_list_has_no_cursors(tied_payments):
    db, rows = tied_payments
    with db.connect() as conn:
        forward, _ = walk(conn, select(payments).where(payments.c.amount_minor == 2500), PAYMENTS, None, 2, "id")
        empty = fetch_page(conn, select(payments).where(payments.c.office == "nowhere"), PAYMENTS)
    assert forward == sorted((r["id"] for r in rows if r["amount_minor"] == 2500),
                             key=lambda i: ({r["id"]: r["captured_at"] for r in rows}[i], i), reverse=True)
    assert (empty.rows, empty.next_cursor, empty.prev_cursor) == ([], None, None)


def test_a_cursor_made_for_another_sort_or_made_up_is_refused_with_what_to_do(tied_payments):
    db, _ = tied_payments
    with db.connect() as conn:
        cursor = fetch_page(conn, select(payments), PAYMENTS, sort="amount", limit=3).next_cursor
        with pytest.raises(PagingError, match="made for sort=amount, not sort=-captured_at"):
            fetch_page(conn, select(payments), PAYMENTS, cursor=cursor)
        for made_up in ("not-a-cursor", "eyJzIjoxfQ", cursor[:-3]):
            with pytest.raises(PagingError, match="start again from the first page"):
                fetch_page(conn, select(payments), PAYMENTS, sort="amount", cursor=made_up)
        with pytest.raises(PagingError, match="cannot sort by 'payer': sort by one of amount, captured_at"):
            fetch_page(conn, select(payments), PAYMENTS, sort="-payer")


def test_a_cursor_is_url_safe():
    from hub.store.paging import encode_cursor
    cursor = encode_cursor(Sort("captured_at", True), ["2026-11-02T09:00:00.000Z+ü/?", 7], before=True)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
