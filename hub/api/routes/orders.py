"""Payment orders: create one, import many from CSV, read, search, print the notice."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from hub.api.deps import get_db, get_hub, get_settings, require_role
from hub.api.security import Principal
from hub.config import Settings
from hub.context import HubContext
from hub.orders.csv_import import CsvImportError, import_orders
from hub.orders.model import OrderRequest
from hub.orders.notice import notice_pdf, notice_png
from hub.orders.service import OrderError, create_order, get_order, order_view, search_orders
from hub.store.db import Database

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
READERS = Depends(require_role("operator", "auditor", "case-system"))
MAX_CSV_BYTES = 20 * 1024 * 1024


@router.post("", status_code=201)
def create(request: OrderRequest, principal: Principal = Depends(require_role("operator", "case-system")),
           hub: HubContext = Depends(get_hub), settings: Settings = Depends(get_settings),
           db: Database = Depends(get_db)) -> dict:
    try:
        with db.begin() as conn:
            order = create_order(conn, request, settings, principal.actor, signing_key=hub.order_key)
            return order_view(conn, order)
    except OrderError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/import", status_code=201,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_csv(request: Request, principal: Principal = Depends(require_role("operator")),
                     hub: HubContext = Depends(get_hub), settings: Settings = Depends(get_settings),
                     db: Database = Depends(get_db)):
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the CSV is {len(raw)} bytes; the limit is {MAX_CSV_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return JSONResponse(status_code=422, content={"detail": f"the CSV is not UTF-8: {exc}", "row_errors": []})
    try:
        with db.begin() as conn:
            created = import_orders(conn, text, settings, principal.actor, signing_key=hub.order_key)
    except CsvImportError as exc:
        return JSONResponse(status_code=422, content={"detail": str(exc),
                                                      "row_errors": [e.to_json() for e in exc.row_errors]})
    return {"created": len(created), "orders": [{"order_id": o["order_id"], "reference": o["reference"]}
                                                for o in created]}


@router.get("", dependencies=[READERS])
def index(case_ref: str | None = None, reference: str | None = None, payer: str | None = None,
          limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
          db: Database = Depends(get_db)) -> list[dict]:
    with db.connect() as conn:
        return search_orders(conn, case_ref=case_ref, reference=reference, payer=payer, limit=limit, offset=offset)


def _order(db: Database, order_id: str) -> dict:
    with db.connect() as conn:
        order = get_order(conn, order_id)
        if order is None:
            raise HTTPException(404, f"no payment order {order_id}")
        return order_view(conn, order)


@router.get("/{order_id}", dependencies=[READERS])
def one(order_id: str, db: Database = Depends(get_db)) -> dict:
    return _order(db, order_id)


@router.get("/{order_id}/notice.pdf", dependencies=[READERS], response_class=Response)
def notice_as_pdf(order_id: str, db: Database = Depends(get_db), settings: Settings = Depends(get_settings)) -> Response:
    return Response(notice_pdf(_order(db, order_id), settings.creditor_fiscal_code), media_type="application/pdf")


@router.get("/{order_id}/notice.png", dependencies=[READERS], response_class=Response)
def notice_as_png(order_id: str, db: Database = Depends(get_db), settings: Settings = Depends(get_settings)) -> Response:
    return Response(notice_png(_order(db, order_id), settings.creditor_fiscal_code), media_type="image/png")
