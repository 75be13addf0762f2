"""Searching stored payments (date, office, agent, case, reference, payer, tender, status,
amount), a page at a time by key (hub/store/paging.py); the unlinked queue, and one payment.

`offices` is the office scope of whoever searches: None sees every office, a set sees only
its offices' payments whatever the other filters say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exists, func, or_, select

from hub.store.name_search import contains_ignoring_case
from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables import payments, voids

LIST_COLUMNS = [c for c in payments.c if c.name != "body"]
COUNT_UP_TO = 10_000
"""Lists count their matches up to this many ("10,000+", the API's `total_exact` false): an exact
count of a broad filter reads every matching row, the page itself only one page."""
ORDERING = Ordering(columns={"captured_at": payments.c.captured_at, "amount": payments.c.amount_minor},
                    unique=payments.c.id, default=Sort("captured_at", descending=True))


@dataclass
class PaymentFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None          # inclusive
    office: str | None = None
    agent: str | None = None
    case: str | None = None
    reference: str | None = None
    payer: str | None = None                # a payer id (fiscal code), else part of a name
    tender: str | None = None
    status: str | None = None               # linked | unlinked | voided
    order_id: str | None = None
    limit: int = 100
    offset: int = 0
    amount_min: int | None = None           # minor units, inclusive
    amount_max: int | None = None
    offices: frozenset[str] | None = None   # the searcher's scope; None: every office
    sort: str | None = None                 # captured_at | amount, '-' in front for descending
    cursor: str | None = None


def _payer(conn: Connection, payer: str):
    """A payer id when some payment has it (indexed), else a case-insensitive part of a name."""
    if conn.execute(select(exists().where(payments.c.payer_id == payer))).scalar():
        return payments.c.payer_id == payer
    return contains_ignoring_case(conn, payments.c.payer_name, payer)


def _where(conn: Connection, query, f: PaymentFilter):
    if f.offices is not None:
        query = query.where(payments.c.office.in_(sorted(f.offices)))
    if f.date_from:
        query = query.where(payments.c.captured_at >= f.date_from.isoformat())
    if f.date_to:
        query = query.where(payments.c.captured_at < (f.date_to + dt.timedelta(days=1)).isoformat())
    if f.office:
        query = query.where(payments.c.office == f.office)
    if f.agent:
        query = query.where(payments.c.agent_id == f.agent)
    if f.case:
        query = query.where(or_(payments.c.linked_case_ref == f.case, payments.c.case_ref == f.case))
    if f.reference:
        compact = "".join(f.reference.split())
        query = query.where(or_(payments.c.reference_value == f.reference, payments.c.reference_value == compact,
                                payments.c.reference_value == compact.upper(),
                                payments.c.linked_order_id == f.reference))
    if f.payer:
        query = query.where(_payer(conn, f.payer))
    if f.tender:
        query = query.where(payments.c.tender == f.tender)
    if f.status == "voided":
        query = query.where(payments.c.voided_at.is_not(None))
    elif f.status:
        query = query.where(payments.c.link_status == f.status)
    if f.order_id:
        query = query.where(payments.c.linked_order_id == f.order_id)
    if f.amount_min is not None:
        query = query.where(payments.c.amount_minor >= f.amount_min)
    if f.amount_max is not None:
        query = query.where(payments.c.amount_minor <= f.amount_max)
    return query


def search_page(conn: Connection, f: PaymentFilter) -> Page:
    """One page of the payments `f` matches, after `f.cursor` (the first page without one)."""
    return fetch_page(conn, _where(conn, select(*LIST_COLUMNS), f), ORDERING, sort=f.sort, cursor=f.cursor,
                      limit=f.limit)


def search(conn: Connection, f: PaymentFilter) -> list[dict[str, Any]]:
    """The payments `f` matches: a keyset page with a cursor, else by `f.offset` (kept for the API's
    `offset`, which costs more the further it goes)."""
    if f.cursor or not f.offset:
        return search_page(conn, f).rows
    sort = ORDERING.sort(f.sort)
    key = ORDERING.columns[sort.key]
    order = [key.desc(), payments.c.id.desc()] if sort.descending else [key.asc(), payments.c.id.asc()]
    query = _where(conn, select(*LIST_COLUMNS), f).order_by(*order).limit(f.limit).offset(f.offset)
    return [dict(r) for r in conn.execute(query).mappings()]


def count(conn: Connection, f: PaymentFilter, *, up_to: int | None = None) -> int:
    """How many payments `f` matches; with `up_to`, counting stops past it (a list shows "10,000+"):
    an exact count of a broad filter reads every matching row, the page itself only one page."""
    if up_to is None:
        return conn.execute(_where(conn, select(func.count()).select_from(payments), f)).scalar_one()
    matching = _where(conn, select(payments.c.id), f).limit(up_to + 1).subquery()
    return conn.execute(select(func.count()).select_from(matching)).scalar_one()


def get_payment(conn: Connection, payment_row_id: int, *, offices: frozenset[str] | None = None) -> dict[str, Any] | None:
    """One payment with its body; None when there is none, or it is outside `offices`."""
    query = select(payments).where(payments.c.id == payment_row_id)
    if offices is not None:
        query = query.where(payments.c.office.in_(sorted(offices)))
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    payment = dict(row)
    if payment["voided_at"]:
        void = conn.execute(select(voids.c.voided_at, voids.c.reason, voids.c.operator, voids.c.approved_by,
                                   voids.c.receipt_id).where(voids.c.agent_id == payment["agent_id"],
                                                             voids.c.payment_id == payment["payment_id"])
                            ).mappings().first()
        payment["void"] = dict(void) if void else None
    return payment


def unlinked_count(conn: Connection) -> int:
    return count(conn, PaymentFilter(status="unlinked"))
