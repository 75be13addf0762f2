"""A case's payments and payment orders, as its case system or a clerk sees them."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hub.api.deps import get_db, require_role
from hub.linking.search import PaymentFilter, search
from hub.orders.service import search_orders
from hub.store.db import Database

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.get("/{ref}/payments", dependencies=[Depends(require_role("operator", "auditor", "case-system"))])
def case_payments(ref: str, db: Database = Depends(get_db)) -> dict:
    with db.connect() as conn:
        payments = search(conn, PaymentFilter(case=ref, limit=1000))
        orders = search_orders(conn, case_ref=ref, limit=1000)
    paid = sum(0 if p["voided_at"] else (-p["amount_minor"] if p["kind"] == "refund" else p["amount_minor"])
               for p in payments)
    return {"case_ref": ref, "paid_minor": paid, "payments": payments, "orders": orders}
