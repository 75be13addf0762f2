"""Payments: search, the unlinked queue, conflicting versions, one payment, and linking by hand."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException

from hub.api.deps import Db, Limit, Offset, Operator, require_role
from hub.api.schemas.payments import LinkRequest, Payment, PaymentConflicts, PaymentPage, PaymentRow
from hub.ingest.conflicts import list_conflicts
from hub.linking.manual import link_by_hand
from hub.linking.search import PaymentFilter, count, get_payment, search

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
READERS = Depends(require_role("operator", "auditor"))
AUDITORS = Depends(require_role("auditor"))


@router.get("", response_model=PaymentPage, dependencies=[READERS])
def list_payments(db: Db, date_from: dt.date | None = None, date_to: dt.date | None = None, office: str | None = None,
                  agent: str | None = None, case: str | None = None, reference: str | None = None,
                  payer: str | None = None, tender: Literal["card", "cash"] | None = None,
                  status: Literal["linked", "unlinked", "voided"] | None = None, order_id: str | None = None,
                  limit: Limit = 100, offset: Offset = 0) -> dict:
    payment_filter = PaymentFilter(date_from, date_to, office, agent, case, reference, payer, tender, status,
                                   order_id, limit, offset)
    with db.connect() as conn:
        return {"total": count(conn, payment_filter), "payments": search(conn, payment_filter)}


@router.get("/unlinked", response_model=PaymentPage, dependencies=[READERS])
def unlinked(db: Db, limit: Limit = 100, offset: Offset = 0) -> dict:
    payment_filter = PaymentFilter(status="unlinked", limit=limit, offset=offset)
    with db.connect() as conn:
        return {"total": count(conn, payment_filter), "payments": search(conn, payment_filter)}


@router.get("/conflicts", response_model=PaymentConflicts, dependencies=[AUDITORS])
def conflicts(db: Db, agent: str | None = None, limit: Limit = 100) -> dict:
    """Second versions of stored payments that differ from them: kept apart, never applied."""
    with db.connect() as conn:
        return {"conflicts": list_conflicts(conn, agent_id=agent, limit=limit)}


@router.get("/{payment_row_id}", response_model=Payment, dependencies=[READERS])
def one(payment_row_id: int, db: Db) -> dict:
    with db.connect() as conn:
        payment = get_payment(conn, payment_row_id)
    if payment is None:
        raise HTTPException(404, f"no payment {payment_row_id}")
    return payment


@router.post("/{payment_row_id}/link", response_model=PaymentRow)
def link(payment_row_id: int, request: LinkRequest, principal: Operator, db: Db) -> dict:
    with db.begin() as conn:
        payment = link_by_hand(conn, payment_row_id, order_id=request.order_id, case_ref=request.case_ref,
                               actor=principal.actor, note=request.note)
    payment.pop("body", None)
    return payment
