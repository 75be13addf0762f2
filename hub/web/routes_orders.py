"""Payment orders: the search (`q` by any identifier, status, due date), one order with every
payment against it, its notice and the e-mails of it (hub/web/routes_mail.py mails it), and changing or cancelling it while unpaid (the account it is
paid into too).  Why a change is refused is said in the reader's language (hub/reasons.py).

Every query runs within the viewer's offices: an order of another office is answered like
one that does not exist (404), whether followed from a link or typed by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from protocol.money import Money, MoneyError
from hub.mail.status import order_messages
from hub.notices.render import render_notice_pdf
from hub.orders import state_feed
from hub.orders.changes import OrderChangeInvalid, OrderMissing, OrderNotChangeable, cancel_order, change_order
from hub.orders.model import OrderCancel, OrderChange
from hub.orders.payee import payee_of
from hub.orders.search import OrderFilter, count, search_page
from hub.orders.service import get_order, order_view, order_views
from hub.reasons import Reason, from_validation
from hub.store.paging import PagingError
from hub.users.sessions import Session
from hub.web.auth import require, settings_of
from hub.web.routes_mail import REASONS as MAIL_REASONS
from hub.web.order_accounts import account_choices, order_account_of
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("orders.read"))]
Writer = Annotated[Session, Depends(require("orders.write"))]
FIELDS = ("q", "status", "due_from", "due_to", "office", "sort")
STATUSES = ("unpaid", "partly_paid", "paid", "overpaid")
SORTS = ("-created_at", "created_at", "due_date", "-due_date")
FORM_FIELDS = {"amount_minor": "amount", "account_iban": "account"}
"""The service's field → the form's."""


def _date(value: str, name: str, errors: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        errors[name] = ("payments.error.date", {"value": value})
        return None


def listing_filter(request: Request, session: Session) -> tuple[dict, dict, OrderFilter]:
    """The listing's filters as typed, their errors, and the OrderFilter they make (the notices
    export takes the same, hub/web/routes_notices.py)."""
    typed = {name: (request.query_params.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, tuple[str, dict]] = {}
    f = OrderFilter(q=typed["q"] or None, office=typed["office"] or None, offices=session.user.scope.offices,
                    due_from=_date(typed["due_from"], "due_from", errors), due_to=_date(typed["due_to"], "due_to", errors),
                    sort=typed["sort"] if typed["sort"] in SORTS else None,
                    cursor=request.query_params.get("cursor") or None, limit=50)
    if typed["status"] in STATUSES:
        f.status = typed["status"]
    elif typed["status"]:
        errors["status"] = ("payments.error.choice", {})
    return typed, errors, f


@router.get("/orders")
def orders(request: Request, session: Reader):
    typed, errors, f = listing_filter(request, session)
    results, total, views = None, None, []
    if not errors:
        try:
            with request.app.state.db.connect() as conn:
                results = search_page(conn, f)
                total = count(conn, f)
                views = order_views(conn, results.rows)
        except PagingError:
            errors["cursor"] = ("payments.error.cursor", {})

    def query(**override):
        return urlencode({k: v for k, v in (typed | override).items() if v})
    return render(request, "orders.html", session=session, status_code=422 if errors else 200, typed=typed,
                  errors=errors, results=results, views=views, total=total, query=query, statuses=STATUSES,
                  sorts=SORTS, iso=dt.datetime.fromisoformat, no_notices=request.query_params.get("notices") == "none")


def _said(exc: Exception) -> tuple[str, dict]:
    """A refusal as the template's (key, values): its Reason, or its English as given."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, Reason):
        return reason.key, reason.params
    return "orders.error.change", {"reason": str(exc)}


def _screened(model, data: dict, errors: dict) -> None:
    """Free text as the API screens it (no card number, lengths): each problem beside its field."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        for problem, reason in zip(exc.errors(), from_validation(exc), strict=True):
            errors.setdefault(str(problem["loc"][-1]) if problem["loc"] else "form", (reason.key, reason.params))


def _visible(request: Request, session: Session, order_id: str) -> dict | None:
    with request.app.state.db.connect() as conn:
        order = get_order(conn, order_id)
        if order is None or not session.user.scope.allows(order["office"]):
            return None
        return order_view(conn, order)


def _missing(request: Request, session: Session):
    return render(request, "record_missing.html", session=session, status_code=404, what="orders.missing")


def _detail(request: Request, session: Session, order: dict, *, status_code: int = 200, errors=None, typed=None):
    with request.app.state.db.connect() as conn:
        account = order_account_of(conn, order)
        choices = account_choices(conn, session.user.scope, [order["office"]]) if order["office"] else []
        mails = order_messages(conn, order["order_id"])
    return render(request, "order.html", session=session, status_code=status_code, order=order,
                  account=account, accounts=choices, mails=mails, mail_reasons=MAIL_REASONS,
                  errors=errors or {}, typed=typed or {}, iso=dt.datetime.fromisoformat,
                  amount_plain="" if order["amount_minor"] is None else Money(order["amount_minor"], order["currency"]).format(),
                  done=request.query_params.get("done"))


@router.get("/orders/{order_id}")
def order(request: Request, session: Reader, order_id: str):
    found = _visible(request, session, order_id)
    return _detail(request, session, found) if found else _missing(request, session)


@router.get("/orders/{order_id}/notice.pdf")
def notice(request: Request, session: Reader, order_id: str):
    found = _visible(request, session, order_id)
    if found is None:
        return _missing(request, session)
    settings = settings_of(request)
    with request.app.state.db.connect() as conn:
        payee = payee_of(conn, found, settings)
    return Response(render_notice_pdf(found, settings, payee), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="notice-{order_id}.pdf"'})


@router.post("/orders/{order_id}/change")
def change(request: Request, session: Writer, order_id: str, amount: str = Form(""), case_ref: str = Form(""),
           payer_name: str = Form(""), payer_id: str = Form(""), payer_email: str = Form(""),
           payer_language: str = Form(""), payer_address: str = Form(""), description: str = Form(""),
           due_date: str = Form(""), account: str = Form(""), account_offered: str = Form("")):
    found = _visible(request, session, order_id)
    if found is None:
        return _missing(request, session)
    typed = {"amount": amount.strip(), "case_ref": case_ref.strip(), "payer_name": payer_name.strip(),
             "payer_id": payer_id.strip(), "payer_email": payer_email.strip(), "payer_language": payer_language.strip(),
             "payer_address": payer_address.strip(), "description": description.strip(), "due_date": due_date.strip(),
             "account": account.strip()}
    changes: dict = {k: v for k, v in typed.items() if k not in ("amount", "account")}
    # Not offered (a form from before the select) or as it was: the account stays, even one closed since.
    if account_offered and typed["account"] != (found["account_iban"] or ""):
        changes["account_iban"] = typed["account"]
    errors: dict[str, tuple[str, dict]] = {}
    _screened(OrderChange, {k: changes[k] or None for k in ("case_ref", "payer_name", "payer_id", "payer_email",
                                                            "payer_language", "payer_address", "description")},
              errors)
    if typed["amount"] and found["positions"]:
        errors["amount"] = ("orders.error.amount_from_positions", {})
    elif typed["amount"]:
        try:
            changes["amount_minor"] = Money.parse(typed["amount"], found["currency"]).minor
        except MoneyError:
            errors["amount"] = ("payments.error.amount", {"value": typed["amount"]})
    if not errors:
        try:
            with request.app.state.db.begin() as conn:
                changed = change_order(conn, order_id, changes, session.user.actor, scope=session.user.scope,
                                       signing_key=request.app.state.hub.order_key)
            if changed.get("amount_changed_at"):
                state_feed.publish_for(request.app.state.db, request.app.state.hub, changed["office"])
        except OrderChangeInvalid as exc:
            errors[FORM_FIELDS.get(exc.field, exc.field)] = _said(exc)
        except OrderNotChangeable as exc:
            errors["form"] = _said(exc)
        except OrderMissing:
            return _missing(request, session)
    if errors:
        return _detail(request, session, found, status_code=422, errors=errors, typed=typed)
    return RedirectResponse(f"/orders/{order_id}?done=changed", status_code=303)


@router.post("/orders/{order_id}/cancel")
def cancel(request: Request, session: Writer, order_id: str, reason: str = Form("")):
    found = _visible(request, session, order_id)
    if found is None:
        return _missing(request, session)
    screened: dict[str, tuple[str, dict]] = {}
    if reason.strip():
        _screened(OrderCancel, {"reason": reason.strip()}, screened)
    if screened:
        return _detail(request, session, found, status_code=422, typed={"reason": reason}, errors=screened)
    try:
        with request.app.state.db.begin() as conn:
            cancelled = cancel_order(conn, order_id, reason, session.user.actor, scope=session.user.scope)
        state_feed.publish_for(request.app.state.db, request.app.state.hub, cancelled["office"])
    except OrderChangeInvalid as exc:
        return _detail(request, session, found, status_code=422, typed={"reason": reason},
                       errors={"reason": _said(exc)})
    except OrderNotChangeable as exc:
        return _detail(request, session, found, status_code=409, typed={"reason": reason},
                       errors={"form": _said(exc)})
    except OrderMissing:
        return _missing(request, session)
    return RedirectResponse(f"/orders/{order_id}?done=cancelled", status_code=303)
