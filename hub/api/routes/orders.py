"""Payment orders: create one, import many from CSV, read, search, print the notice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from hub.api.deps import Db, Hub, HubSettings, Limit, Offset, Operator, OrderIssuer, require_role
from hub.api.schemas.orders import Order, OrdersImported
from hub.orders.csv_import import import_orders
from hub.orders.model import OrderRequest
from hub.orders.notice import notice_pdf, notice_png
from hub.orders.search import OrderFilter, OrderStatus, search_page
from hub.orders.service import create_order, get_order, order_view, search_orders
from hub.store.db import Database

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
READERS = Depends(require_role("operator", "auditor", "case-system"))
MAX_CSV_BYTES = 20 * 1024 * 1024


def _binary(media_type: str) -> dict:
    return {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("", status_code=201, response_model=Order)
def create(request: OrderRequest, principal: OrderIssuer, hub: Hub, settings: HubSettings, db: Db) -> dict:
    with db.begin() as conn:
        order = create_order(conn, request, settings, principal.actor, signing_key=hub.order_key)
        return order_view(conn, order)


@router.post("/import", status_code=201, response_model=OrdersImported,
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_csv(request: Request, principal: Operator, hub: Hub, settings: HubSettings, db: Db):
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise HTTPException(413, f"the CSV is {len(raw)} bytes; the limit is {MAX_CSV_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return JSONResponse(status_code=422, content={"detail": f"the CSV is not UTF-8: {exc}", "row_errors": []})
    with db.begin() as conn:
        created = import_orders(conn, text, settings, principal.actor, signing_key=hub.order_key)
    return {"created": len(created), "orders": [{"order_id": o["order_id"], "reference": o["reference"]}
                                                for o in created]}


@router.get("", response_model=list[Order], dependencies=[READERS],
            description="A page of orders; the `Link` header gives the next and previous pages (rel next, prev). "
                        "`q` finds an order by any identifier (order id, case, notice number, IUV, RF, payer "
                        "fiscal code), else by part of the payer's name. case_ref, reference, payer and offset "
                        "are the earlier search, kept for the clients that use it.")
def index(db: Db, request: Request, response: Response, case_ref: str | None = None, reference: str | None = None,
          payer: str | None = None, limit: Limit = 100, offset: Offset = 0,
          q: Annotated[str | None, Query(max_length=200)] = None, status: OrderStatus | None = None,
          due_from: dt.date | None = None, due_to: dt.date | None = None, office: str | None = None,
          sort: Annotated[str | None, Query(pattern=r"^-?(created_at|due_date)$")] = None,
          cursor: Annotated[str | None, Query(max_length=2000)] = None) -> list[dict]:
    with db.connect() as conn:
        if offset or case_ref or reference or payer:
            return search_orders(conn, case_ref=case_ref, reference=reference, payer=payer, limit=limit,
                                 offset=offset)
        page = search_page(conn, OrderFilter(q=q, status=status, due_from=due_from, due_to=due_to, office=office,
                                             sort=sort, cursor=cursor, limit=limit))
        links = [f'<{request.url.include_query_params(cursor=c)}>; rel="{rel}"'
                 for rel, c in (("next", page.next_cursor), ("prev", page.prev_cursor)) if c]
        if links:
            response.headers["Link"] = ", ".join(links)
        return [order_view(conn, row) for row in page.rows]


def _order(db: Database, order_id: str) -> dict:
    with db.connect() as conn:
        order = get_order(conn, order_id)
        if order is None:
            raise HTTPException(404, f"no payment order {order_id}")
        return order_view(conn, order)


@router.get("/{order_id}", response_model=Order, dependencies=[READERS])
def one(order_id: str, db: Db) -> dict:
    return _order(db, order_id)


@router.get("/{order_id}/notice.pdf", dependencies=[READERS], response_class=Response,
            responses=_binary("application/pdf"))
def notice_as_pdf(order_id: str, db: Db, settings: HubSettings) -> Response:
    return Response(notice_pdf(_order(db, order_id), settings.creditor_fiscal_code), media_type="application/pdf")


@router.get("/{order_id}/notice.png", dependencies=[READERS], response_class=Response,
            responses=_binary("image/png"))
def notice_as_png(order_id: str, db: Db, settings: HubSettings) -> Response:
    return Response(notice_png(_order(db, order_id), settings.creditor_fiscal_code), media_type="image/png")
