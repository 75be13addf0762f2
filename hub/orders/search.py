"""Searching payment orders a page at a time by key: `q` finds an order by any of its
identifiers, besides filters on status, due date and office.

`q` is first looked up as an identifier — order id, case, notice number or RF reference,
IUV, payer fiscal code — each an indexed equality, so `/orders?q=<IUV>` answers at once
among hundreds of thousands.  Only when no order has `q` as an identifier is it taken as
part of a payer's name.  `offices` is the searcher's scope: None sees every office; a set
sees only orders of its offices (an order with no office is seen only by staff of all).

The status (unpaid, partly paid, paid, overpaid) is computed from the linked payments, as
hub/linking/status.py does on read; the filter computes the same in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, and_, case, exists, func, or_, select

from hub.store.name_search import contains_ignoring_case
from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables import orders, payments

OrderStatus = Literal["unpaid", "partly_paid", "paid", "overpaid"]
ORDERING = Ordering(columns={"created_at": orders.c.created_at, "due_date": orders.c.due_date},
                    unique=orders.c.order_id, default=Sort("created_at", descending=True))


@dataclass
class OrderFilter:
    q: str | None = None                    # any identifier of the order, else part of the payer's name
    status: OrderStatus | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None           # inclusive
    office: str | None = None
    offices: frozenset[str] | None = None   # the searcher's scope; None: every office
    sort: str | None = None                 # created_at | due_date, '-' in front for descending
    cursor: str | None = None
    limit: int = 100


def identifier_match(q: str):
    """Orders that have `q` as one of their identifiers (each term has an index)."""
    compact = "".join(q.split())
    return or_(orders.c.order_id == q, orders.c.order_id == compact.upper(), orders.c.case_ref == q,
               orders.c.reference == compact.upper(), orders.c.iuv == compact, orders.c.payer_id == compact.upper(),
               orders.c.payer_id == q)


def paid_minor():
    """What an order's linked payments add up to: refunds negative, voids and handling fees not counted."""
    towards_order = payments.c.amount_minor - payments.c.handling_fee_minor
    signed = case((payments.c.kind == "refund", -towards_order), else_=towards_order)
    return (select(func.coalesce(func.sum(signed), 0))
            .where(payments.c.linked_order_id == orders.c.order_id, payments.c.voided_at.is_(None))
            .scalar_subquery())


def status_is(status: OrderStatus):
    paid, amount = paid_minor(), orders.c.amount_minor
    if status == "unpaid":
        return paid <= 0
    if status == "paid":
        return and_(paid > 0, or_(amount.is_(None), paid == amount))
    if status == "partly_paid":
        return and_(paid > 0, amount.is_not(None), paid < amount)
    return and_(paid > 0, amount.is_not(None), paid > amount)


def _where(conn: Connection, query, f: OrderFilter):
    if f.offices is not None:
        query = query.where(orders.c.office.in_(sorted(f.offices)))
    if f.office:
        query = query.where(orders.c.office == f.office)
    if f.q and f.q.strip():
        q = f.q.strip()
        if conn.execute(select(exists().where(identifier_match(q)))).scalar():
            query = query.where(identifier_match(q))
        else:
            query = query.where(contains_ignoring_case(conn, orders.c.payer_name, q))
    if f.due_from:
        query = query.where(orders.c.due_date >= f.due_from.isoformat())
    if f.due_to:
        query = query.where(orders.c.due_date <= f.due_to.isoformat())
    if f.status:
        query = query.where(status_is(f.status))
    return query


def matching(conn: Connection, f: OrderFilter):
    """The SELECT of every order `f` matches, unpaged and unsorted (a bulk reader pages it itself)."""
    return _where(conn, select(orders), f)


def search_page(conn: Connection, f: OrderFilter) -> Page:
    """One page of the orders `f` matches (the order rows; `order_view` adds their payments)."""
    return fetch_page(conn, _where(conn, select(orders), f), ORDERING, sort=f.sort, cursor=f.cursor, limit=f.limit)


def count(conn: Connection, f: OrderFilter) -> int:
    return conn.execute(_where(conn, select(func.count()).select_from(orders), f)).scalar_one()
