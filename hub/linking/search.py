"""Searching stored payments (date, office, agent, case, reference, payer, tender,
status), the unlinked queue, and one case's payments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, or_, select

from hub.store.tables import payments

LIST_COLUMNS = [c for c in payments.c if c.name != "body"]


@dataclass
class PaymentFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None          # inclusive
    office: str | None = None
    agent: str | None = None
    case: str | None = None
    reference: str | None = None
    payer: str | None = None
    tender: str | None = None
    status: str | None = None               # linked | unlinked | voided
    order_id: str | None = None
    limit: int = 100
    offset: int = 0


def _where(query, f: PaymentFilter):
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
        # autoescape: a '%' or '_' searched for is that character, not a wildcard.
        query = query.where(or_(payments.c.payer_id == f.payer,
                                payments.c.payer_name.icontains(f.payer, autoescape=True)))
    if f.tender:
        query = query.where(payments.c.tender == f.tender)
    if f.status == "voided":
        query = query.where(payments.c.voided_at.is_not(None))
    elif f.status:
        query = query.where(payments.c.link_status == f.status)
    if f.order_id:
        query = query.where(payments.c.linked_order_id == f.order_id)
    return query


def search(conn: Connection, f: PaymentFilter) -> list[dict[str, Any]]:
    query = _where(select(*LIST_COLUMNS), f).order_by(payments.c.captured_at.desc(), payments.c.id.desc())
    return [dict(r) for r in conn.execute(query.limit(f.limit).offset(f.offset)).mappings()]


def count(conn: Connection, f: PaymentFilter) -> int:
    return conn.execute(_where(select(func.count()).select_from(payments), f)).scalar_one()


def get_payment(conn: Connection, payment_row_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(payments).where(payments.c.id == payment_row_id)).mappings().first()
    return dict(row) if row else None


def unlinked_count(conn: Connection) -> int:
    return count(conn, PaymentFilter(status="unlinked"))
