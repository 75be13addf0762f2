"""Payment orders: create one, import many from CSV, read, search, print the notice, change or cancel one.

Every route answers within the caller's office scope (`Principal.scope`): an order of
another office is answered like one that does not exist (404), and an order is created
only for an office of the caller's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from protocol.keys import SigningKey
from hub.api import scope
from hub.api.deps import Db, Hub, HubSettings, Limit, Offset, caller
from hub.api.schemas.orders import Order, OrdersImported
from hub.api.security import Principal
from hub.config import Settings
from hub.notices.render import render_notice_pdf, render_notice_png
from hub.orders.csv_import import import_orders
from hub.orders import state_feed
from hub.orders.changes import cancel_order, change_order
from hub.orders.model import OrderCancel, OrderChange, OrderRequest
from hub.orders.payee import Payee, payee_of
from hub.orders.search import OrderFilter, OrderStatus, search_page
from hub.orders.service import create_order, get_order, order_view, order_views, search_orders
from hub.store.db import Database

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
MAX_CSV_BYTES = 20 * 1024 * 1024
# A case-system token sees and issues its own cases' orders only (hub/api/scope.py).
CaseReader = caller("operator", "auditor", "case-system", permission="orders.read")
OrderIssuer = caller("operator", "case-system", permission="orders.write")
Operator = caller("operator", permission="orders.write")


def _binary(media_type: str) -> dict:
    return {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("", status_code=201, response_model=Order)
def create(request: OrderRequest, principal: OrderIssuer, hub: Hub, settings: HubSettings, db: Db) -> dict:
    if not principal.scope.allows(request.office):
        raise HTTPException(422, f"office {request.office!r} is not one of the caller's offices "
                                 f"({principal.scope.describe()})")
    with db.begin() as conn:
        order = create_order(conn, request, settings, principal.actor, signing_key=hub.order_key)
        if not scope.sees_order(conn, principal, order):
            # Raised inside the transaction: the order is not created.
            raise HTTPException(404, f"case system {principal.case_system} has no case {request.case_ref!r}: "
                                     "its orders name a case its patterns match")
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
    # Parsing and storing thousands of rows is synchronous work: it runs on a worker
    # thread, so the event loop goes on answering every other request meanwhile.
    created = await run_in_threadpool(_import, db, text, settings, principal, hub.order_key)
    return {"created": len(created), "orders": [{"order_id": o["order_id"], "reference": o["reference"]}
                                                for o in created]}


def _import(db: Database, text: str, settings: Settings, principal: Principal, order_key: SigningKey) -> list[dict]:
    with db.begin() as conn:
        return import_orders(conn, text, settings, principal.actor, signing_key=order_key, scope=principal.scope)


@router.get("", response_model=list[Order],
            description="A page of orders; the `Link` header gives the next and previous pages (rel next, prev). "
                        "`q` finds an order by any identifier (order id, case, notice number, IUV, RF, payer "
                        "fiscal code), else by part of the payer's name. case_ref, reference, payer and offset "
                        "are the earlier search, kept for the clients that use it; a case-system token "
                        "lists the orders of one case or reference only.")
def index(principal: CaseReader, db: Db, request: Request, response: Response, case_ref: str | None = None,
          reference: str | None = None, payer: str | None = None, limit: Limit = 100, offset: Offset = 0,
          q: Annotated[str | None, Query(max_length=200)] = None, status: OrderStatus | None = None,
          due_from: dt.date | None = None, due_to: dt.date | None = None, office: str | None = None,
          sort: Annotated[str | None, Query(pattern=r"^-?(created_at|due_date)$")] = None,
          cursor: Annotated[str | None, Query(max_length=2000)] = None) -> list[dict]:
    if scope.is_scoped(principal) and not (case_ref or reference):
        raise HTTPException(422, "a case-system token lists the orders of one case or reference: "
                                 "give case_ref or reference")
    with db.connect() as conn:
        if offset or case_ref or reference or payer:
            found = search_orders(conn, case_ref=case_ref, reference=reference, payer=payer, limit=limit,
                                  offset=offset)
            found = [order for order in found if principal.scope.allows(order["office"])]
            return scope.visible_orders(conn, principal, found)
        page = search_page(conn, OrderFilter(q=q, status=status, due_from=due_from, due_to=due_to, office=office,
                                             offices=principal.scope.offices, sort=sort, cursor=cursor, limit=limit))
        links = [f'<{request.url.include_query_params(cursor=c)}>; rel="{rel}"'
                 for rel, c in (("next", page.next_cursor), ("prev", page.prev_cursor)) if c]
        if links:
            response.headers["Link"] = ", ".join(links)
        return order_views(conn, page.rows)


def _order(db: Database, order_id: str, principal: Principal) -> dict:
    with db.connect() as conn:
        order = get_order(conn, order_id)
        if order is None or not principal.scope.allows(order["office"]) or not scope.sees_order(conn, principal, order):
            raise HTTPException(404, f"no payment order {order_id}")
        return order_view(conn, order)


@router.get("/{order_id}", response_model=Order)
def one(order_id: str, principal: CaseReader, db: Db) -> dict:
    return _order(db, order_id, principal)


def _notice(db: Database, order_id: str, principal: Principal, settings: Settings) -> tuple[dict, Payee | None]:
    """The order and who its bank transfer code pays (its account, else the configured one)."""
    order = _order(db, order_id, principal)
    with db.connect() as conn:
        return order, payee_of(conn, order, settings)


@router.get("/{order_id}/notice.pdf", response_class=Response, responses=_binary("application/pdf"),
            description="The order's notice in the payer's language (its payer_language, else [orders] language).")
def notice_as_pdf(order_id: str, principal: CaseReader, db: Db, settings: HubSettings) -> Response:
    order, payee = _notice(db, order_id, principal, settings)
    return Response(render_notice_pdf(order, settings, payee), media_type="application/pdf")


@router.get("/{order_id}/notice.png", response_class=Response, responses=_binary("image/png"),
            description="The order's notice as an image, in the payer's language like the PDF.")
def notice_as_png(order_id: str, principal: CaseReader, db: Db, settings: HubSettings) -> Response:
    order, payee = _notice(db, order_id, principal, settings)
    return Response(render_notice_png(order, settings, payee), media_type="image/png")


@router.post("/{order_id}/change", response_model=Order, summary="Change an unpaid order (audited)")
def change(order_id: str, request: OrderChange, principal: Operator, hub: Hub, db: Db) -> dict:
    with db.begin() as conn:
        changed = change_order(conn, order_id, request.model_dump(exclude_unset=True), principal.actor,
                               scope=principal.scope, signing_key=hub.order_key)
        view = order_view(conn, get_order(conn, order_id))
    if changed.get("amount_changed_at"):
        state_feed.publish_for(db, hub, changed["office"])
    return view


@router.post("/{order_id}/cancel", response_model=Order,
             summary="Cancel an unpaid order (audited); payments naming it stay unlinked with the reason")
def cancel(order_id: str, request: OrderCancel, principal: Operator, hub: Hub, db: Db) -> dict:
    with db.begin() as conn:
        cancelled = cancel_order(conn, order_id, request.reason, principal.actor, scope=principal.scope)
        view = order_view(conn, get_order(conn, order_id))
    state_feed.publish_for(db, hub, cancelled["office"])     # committed: now the desks may hear it
    return view
