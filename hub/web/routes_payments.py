"""Payments: the search (filters in the URL, keyset pages, sort), its CSV export, the unlinked
queue, one payment with its link, confirmations and receipt, and linking by hand.

Every query runs within the viewer's offices: a payment of another office is answered
like one that does not exist (404), whether found by a link or typed by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import or_, select

from hub.linking.manual import LinkError, link_by_hand
from hub.linking.search import COUNT_UP_TO, count, get_payment, search_page
from hub.store.paging import PagingError
from hub.store.tables import orders
from hub.store.tables_delivery import deliveries
from hub.users.sessions import Session
from hub.web.auth import require, settings_of
from hub.web.payment_filters import SORTS, STATUSES, TENDERS, read_search
from hub.web.payments_csv import export_lines
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("payments.read"))]
Exporter = Annotated[Session, Depends(require("payments.export"))]
Linker = Annotated[Session, Depends(require("payments.link"))]


def _list(request: Request, session: Session, template: str, status: str | None = None):
    settings = settings_of(request)
    search = read_search(request.query_params, session.user.scope, settings.currency, status=status)
    page, total = None, None
    if not search.errors:
        try:
            with request.app.state.db.connect() as conn:
                page = search_page(conn, search.filter)
                total = count(conn, search.filter, up_to=COUNT_UP_TO)
        except PagingError:
            search.errors["cursor"] = ("payments.error.cursor", {})
    status_code = 422 if search.errors else 200
    return render(request, template, session=session, status_code=status_code, search=search, results=page,
                  total=total, count_up_to=COUNT_UP_TO, statuses=STATUSES, tenders=TENDERS, sorts=SORTS,
                  errors=search.errors, iso=dt.datetime.fromisoformat)


@router.get("/payments")
def payments(request: Request, session: Reader):
    return _list(request, session, "payments.html")


@router.get("/payments/unlinked")
def unlinked(request: Request, session: Reader):
    return _list(request, session, "payments_unlinked.html", status="unlinked")


@router.get("/payments.csv")
def export(request: Request, session: Exporter):
    search = read_search(request.query_params, session.user.scope, settings_of(request).currency)
    if search.errors:
        return _list(request, session, "payments.html")
    return StreamingResponse(export_lines(request.app.state.db, search.filter), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="payments.csv"'})


def _missing(request: Request, session: Session, what: str):
    return render(request, "record_missing.html", session=session, status_code=404, what=what)


def _detail(request: Request, session: Session, payment_row_id: int, *, status_code: int = 200,
            errors: dict | None = None, typed: dict | None = None, linked: bool = False):
    with request.app.state.db.connect() as conn:
        payment = get_payment(conn, payment_row_id, offices=session.user.scope.offices)
        if payment is None:
            return _missing(request, session, "payments.missing")
        message_id = payment["message_id"]
        sent = [dict(r) for r in conn.execute(
            select(deliveries).where(or_(deliveries.c.event_id == message_id,
                                         deliveries.c.event_id.like(f"{message_id}.%")))
            .order_by(deliveries.c.created_at, deliveries.c.id)).mappings()]
    body = payment.pop("body") or {}
    receipt = {k: v for k, v in body.items() if isinstance(v, (str, int, float, bool)) and v is not None}
    return render(request, "payment.html", session=session, status_code=status_code, payment=payment,
                  deliveries=sent, receipt=receipt, errors=errors or {}, typed=typed or {}, linked=linked,
                  iso=dt.datetime.fromisoformat)


@router.get("/payments/{payment_row_id:int}")
def payment(request: Request, session: Reader, payment_row_id: int, linked: int = 0):
    return _detail(request, session, payment_row_id, linked=bool(linked))


@router.post("/payments/{payment_row_id:int}/link")
def link(request: Request, session: Linker, payment_row_id: int, order_id: str = Form(""), case_ref: str = Form(""),
         note: str = Form(""), back: str = Form("")):
    order_id, case_ref, note = order_id.strip(), case_ref.strip(), note.strip()
    typed = {"order_id": order_id, "case_ref": case_ref, "note": note}
    scope = session.user.scope
    errors: dict[str, tuple[str, dict]] = {}
    if not order_id and not case_ref:
        errors["order_id"] = ("payments.error.link_target", {})
    if len(note) > 300:
        errors["note"] = ("payments.error.note_long", {"limit": 300})
    with request.app.state.db.begin() as conn:
        if get_payment(conn, payment_row_id, offices=scope.offices) is None:
            return _missing(request, session, "payments.missing")
        if order_id and not errors:
            office = conn.execute(select(orders.c.office).where(orders.c.order_id == order_id)).first()
            if office is None or not scope.allows(office[0]):
                errors["order_id"] = ("payments.error.no_order", {"order_id": order_id})
        if not errors:
            try:
                link_by_hand(conn, payment_row_id, order_id=order_id or None, case_ref=case_ref or None,
                             actor=session.user.actor, note=note or None)
            except LinkError as exc:
                errors["order_id"] = ("payments.error.link_refused", {"reason": str(exc)})
    if errors:
        return _detail(request, session, payment_row_id, status_code=422, errors=errors, typed=typed)
    target = "/payments/unlinked?linked=1" if back == "unlinked" else f"/payments/{payment_row_id}?linked=1"
    return RedirectResponse(target, status_code=303)
