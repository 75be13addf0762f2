"""Payments: search, the unlinked queue, conflicting versions, one payment, and linking by hand.

Every route answers within the caller's office scope (`Principal.scope`): a payment of
another office is answered like one that does not exist (404)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from protocol.domain import TenderValue
from hub.api.deps import Db, Limit, Offset, RowId, caller, require_role
from hub.api.security import Principal
from hub.api.schemas.payments import LinkRequest, Payment, PaymentConflicts, PaymentPage, PaymentRow
from hub.ingest.conflicts import list_conflicts
from hub.linking.manual import link_by_hand
from hub.linking.search import COUNT_UP_TO, PaymentFilter, count, get_payment, search, search_page
from sqlalchemy import select

from hub.store.db import Database
from hub.store.tables import orders

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
Reader = caller("operator", "auditor", permission="payments.read")
Linker = caller("operator", permission="payments.link")
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor or prev_cursor of a page")]
Sort = Annotated[Literal["-captured_at", "captured_at", "-amount", "amount"] | None,
                 Query(description="'-' in front for descending; -captured_at when not given")]
Amount = Annotated[int | None, Query(ge=0, description="minor units, inclusive")]
# Versions that differ from what is stored are evidence for whoever checks what happened.
AUDITORS = Depends(require_role("auditor", permission="audit.read"))


def _page(db: Database, payment_filter: PaymentFilter) -> dict:
    """A keyset page with its cursors; by `offset` (no cursors) when one is given without a cursor.

    The total is counted up to COUNT_UP_TO, as the console's list counts it: an exact count of
    a broad filter (every unlinked cash payment, a common surname) reads every matching row."""
    with db.connect() as conn:
        counted = count(conn, payment_filter, up_to=COUNT_UP_TO)
        totals = {"total": min(counted, COUNT_UP_TO), "total_exact": counted <= COUNT_UP_TO}
        if payment_filter.offset and not payment_filter.cursor:
            return totals | {"payments": search(conn, payment_filter)}
        page = search_page(conn, payment_filter)
    return totals | {"payments": page.rows, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@router.get("", response_model=PaymentPage)
def list_payments(db: Db, principal: Reader, date_from: dt.date | None = None, date_to: dt.date | None = None, office: str | None = None,
                  agent: str | None = None, case: str | None = None, reference: str | None = None,
                  payer: str | None = None, tender: TenderValue | None = None,
                  status: Literal["linked", "unlinked", "voided"] | None = None, order_id: str | None = None,
                  limit: Limit = 100, offset: Offset = 0, cursor: Cursor = None, sort: Sort = None,
                  amount_min: Amount = None, amount_max: Amount = None) -> dict:
    payment_filter = PaymentFilter(date_from, date_to, office, agent, case, reference, payer, tender, status,
                                   order_id, limit, offset, amount_min=amount_min, amount_max=amount_max,
                                   sort=sort, cursor=cursor, offices=principal.scope.offices)
    return _page(db, payment_filter)


@router.get("/unlinked", response_model=PaymentPage)
def unlinked(db: Db, principal: Reader, limit: Limit = 100, offset: Offset = 0, cursor: Cursor = None) -> dict:
    return _page(db, PaymentFilter(status="unlinked", limit=limit, offset=offset, cursor=cursor,
                                   offices=principal.scope.offices))


@router.get("/conflicts", response_model=PaymentConflicts, dependencies=[AUDITORS])
def conflicts(db: Db, agent: str | None = None, limit: Limit = 100) -> dict:
    """Second versions of stored payments that differ from them: kept apart, never applied."""
    with db.connect() as conn:
        return {"conflicts": list_conflicts(conn, agent_id=agent, limit=limit)}


@router.get("/{payment_row_id}", response_model=Payment)
def one(payment_row_id: RowId, db: Db, principal: Reader) -> dict:
    with db.connect() as conn:
        payment = get_payment(conn, payment_row_id, offices=principal.scope.offices)
    if payment is None:
        raise HTTPException(404, f"no payment {payment_row_id}")
    return payment


@router.post("/{payment_row_id}/link", response_model=PaymentRow)
def link(payment_row_id: RowId, request: LinkRequest, principal: Linker, db: Db) -> dict:
    with db.begin() as conn:
        if get_payment(conn, payment_row_id, offices=principal.scope.offices) is None:
            raise HTTPException(404, f"no payment {payment_row_id}")
        if request.order_id and not _order_in_scope(conn, request.order_id, principal):
            raise HTTPException(404, f"no payment order {request.order_id}")
        payment = link_by_hand(conn, payment_row_id, order_id=request.order_id, case_ref=request.case_ref,
                               actor=principal.actor, note=request.note)
    payment.pop("body", None)
    return payment


def _order_in_scope(conn, order_id: str, principal: Principal) -> bool:
    office = conn.execute(select(orders.c.office).where(orders.c.order_id == order_id)).first()
    return office is not None and principal.scope.allows(office[0])
