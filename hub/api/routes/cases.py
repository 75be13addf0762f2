"""A case's payments and payment orders, as its case system or a clerk sees them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from hub.api import scope
from hub.api.deps import Db, caller
from hub.api.schemas.cases import CasePayments
from hub.linking.search import PaymentFilter, search
from hub.linking.status import signed_amount
from hub.orders.service import search_orders

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
# A case-system token sees its own cases only (hub/api/scope.py).
CaseReader = caller("operator", "auditor", "case-system", permission="payments.read")


@router.get("/{ref}/payments", response_model=CasePayments)
def case_payments(ref: str, principal: CaseReader, db: Db) -> dict:
    with db.connect() as conn:
        if not scope.sees_case(conn, principal, ref):
            raise HTTPException(404, f"case system {principal.case_system} has no case {ref!r}")
        payments = scope.visible_payments(conn, principal, search(conn, PaymentFilter(case=ref, limit=1000)))
        orders = scope.visible_orders(conn, principal, search_orders(conn, case_ref=ref, limit=1000))
    return {"case_ref": ref, "paid_minor": sum(signed_amount(p) for p in payments), "payments": payments,
            "orders": orders}
