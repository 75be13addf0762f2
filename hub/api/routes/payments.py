"""Payments: search, the unlinked queue, one payment, and linking by hand."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import get_db, require_role
from hub.api.security import Principal
from hub.linking.manual import LinkError, link_by_hand
from hub.linking.search import PaymentFilter, count, get_payment, search
from hub.store.db import Database

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
READERS = Depends(require_role("operator", "auditor"))


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: str | None = Field(default=None, max_length=64)
    case_ref: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=400)


@router.get("", dependencies=[READERS])
def list_payments(date_from: dt.date | None = None, date_to: dt.date | None = None, office: str | None = None,
                  agent: str | None = None, case: str | None = None, reference: str | None = None,
                  payer: str | None = None, tender: Literal["card", "cash"] | None = None,
                  status: Literal["linked", "unlinked", "voided"] | None = None, order_id: str | None = None,
                  limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                  db: Database = Depends(get_db)) -> dict:
    payment_filter = PaymentFilter(date_from, date_to, office, agent, case, reference, payer, tender, status,
                                   order_id, limit, offset)
    with db.connect() as conn:
        return {"total": count(conn, payment_filter), "payments": search(conn, payment_filter)}


@router.get("/unlinked", dependencies=[READERS])
def unlinked(limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
             db: Database = Depends(get_db)) -> dict:
    payment_filter = PaymentFilter(status="unlinked", limit=limit, offset=offset)
    with db.connect() as conn:
        return {"total": count(conn, payment_filter), "payments": search(conn, payment_filter)}


@router.get("/{payment_row_id}", dependencies=[READERS])
def one(payment_row_id: int, db: Database = Depends(get_db)) -> dict:
    with db.connect() as conn:
        payment = get_payment(conn, payment_row_id)
    if payment is None:
        raise HTTPException(404, f"no payment {payment_row_id}")
    return payment


@router.post("/{payment_row_id}/link")
def link(payment_row_id: int, request: LinkRequest, principal: Principal = Depends(require_role("operator")),
         db: Database = Depends(get_db)) -> dict:
    try:
        with db.begin() as conn:
            payment = link_by_hand(conn, payment_row_id, order_id=request.order_id, case_ref=request.case_ref,
                                   actor=principal.actor, note=request.note)
    except LinkError as exc:
        raise HTTPException(404 if str(exc).startswith("no ") else 422, str(exc)) from None
    payment.pop("body", None)
    return payment
