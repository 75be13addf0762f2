"""Part of a payer's name is searched through an index on both databases (migration 0014):
PostgreSQL's trigram index answers ILIKE '%…%', SQLite counts from its small index instead
of reading every row; and the name search ignores case and takes `\\` literally.  The unlinked
cash list pages and counts from one index (migration 0021)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.linking import search as payment_search
from hub.orders import search as order_search
from hub.store.tables import orders, payments
from tests.hub.query_plans import plan_of
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row


@pytest.mark.parametrize("table, where, index", [
    (payments, lambda conn: payment_search._where(conn, select(func.count()).select_from(payments),
                                                  payment_search.PaymentFilter(payer="ross")),
     "ix_payments_payer_name"),
    (orders, lambda conn: order_search._where(conn, select(func.count()).select_from(orders),
                                              order_search.OrderFilter(q="ross")),
     "ix_orders_payer_name"),
])
def test_counting_the_payers_named_like_a_word_reads_the_name_index(hub_db, table, where, index):
    with hub_db.connect() as conn:
        plan = plan_of(conn, where(conn))
    assert index in plan, plan


def test_the_unlinked_cash_list_pages_and_counts_from_the_status_and_tender_index(hub_db):
    unlinked_cash = payment_search.PaymentFilter(status="unlinked", tender="cash", limit=50)
    with hub_db.connect() as conn:
        page = payment_search._where(conn, select(payments.c.id), unlinked_cash).order_by(
            payments.c.captured_at.desc(), payments.c.id.desc()).limit(51)
        counted = select(func.count()).select_from(
            payment_search._where(conn, select(payments.c.id), unlinked_cash).limit(10_001).subquery())
        for query in (page, counted):
            plan = plan_of(conn, query)
            assert "ix_payments_status_tender_captured" in plan, plan


def test_the_name_search_ignores_case_and_takes_a_backslash_literally(hub_db):
    add_payments(hub_db, [payment_row(1, payer_name="MARIA ROSSI"), payment_row(2, payer_name="Back\\slash Ltd"),
                          payment_row(3, payer_name="Backslash Ltd")])
    add_orders(hub_db, [order_row("CP1", payer_name="maria rossi"), order_row("CP2", payer_name="Back\\slash Ltd")])
    with hub_db.connect() as conn:
        def payers(text: str) -> list[str]:
            return [r["payment_id"] for r in payment_search.search(conn, payment_search.PaymentFilter(payer=text))]
        assert payers("Rossi") == ["pay-00001"]
        assert payers("k\\s") == ["pay-00002"]
        assert [r["order_id"] for r in order_search.search_page(conn, order_search.OrderFilter(q="ROSSI")).rows] == ["CP1"]
        assert [r["order_id"] for r in order_search.search_page(conn, order_search.OrderFilter(q="\\")).rows] == ["CP2"]
