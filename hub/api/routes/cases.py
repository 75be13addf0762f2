"""A case's payments and payment orders, as its case system or a clerk sees them."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hub.api.deps import Db, require_role
from hub.api.schemas.cases import CasePayments
from hub.linking.search import PaymentFilter, search
from hub.linking.status import signed_amount
from hub.orders.service import search_orders

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.get("/{ref}/payments", response_model=CasePayments,
            dependencies=[Depends(require_role("operator", "auditor", "case-system"))])
def case_payments(ref: str, db: Db) -> dict:
    with db.connect() as conn:
        payments = search(conn, PaymentFilter(case=ref, limit=1000))
        orders = search_orders(conn, case_ref=ref, limit=1000)
    return {"case_ref": ref, "paid_minor": sum(signed_amount(p) for p in payments), "payments": payments,
            "orders": orders}
