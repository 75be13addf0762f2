"""Making payment orders: one at a time (its amount computed from fee catalogue positions,
or typed for an open-amount service) and in bulk from CSV or XLSX, all rows or none.

An order belongs to an office: staff of named offices make orders for those offices only
(one office: it is chosen for them); staff of every office name any.  The bank account it
is paid into is chosen among the offices' accounts in use (none chosen: the one its
positions name, if any).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from protocol.money import Money, MoneyError
from hub.catalogue import service as catalogue
from hub.finance.accounts import AccountError, clean_iban
from hub.orders.csv_import import CsvImportError, RowError, import_orders
from hub.orders.model import OrderRequest
from hub.orders.paid_into import AccountRefused
from hub.orders.pricing import PricingError, price, priced_positions
from hub.orders.service import OrderError, create_order
from hub.orders.xlsx_import import import_xlsx
from hub.reasons import Reason, from_validation
from hub.users.sessions import Session
from hub.web.auth import require, settings_of
from hub.web.order_accounts import account_choices
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Writer = Annotated[Session, Depends(require("orders.write"))]
TEXT_FIELDS = ("office", "amount", "case_ref", "payer_name", "payer_id", "payer_email", "payer_language",
               "payer_address", "description", "due_date", "account")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _total(document: dict | None, quantities: dict[str, str]) -> int | None:
    """What the quantities typed so far come to, or None while they price nothing."""
    if not all(text.isdigit() for text in quantities.values()):
        return None
    try:
        return sum(line.total_minor for line in price(document, {c: int(q) for c, q in quantities.items()}))
    except PricingError:
        return None


def _quantities(form) -> dict[str, str]:
    return {key[4:]: str(value).strip() for key, value in form.items() if key.startswith("qty_") and str(value).strip()}


def _office_of(session: Session, typed: str | None) -> str | None:
    """The office whose catalogue the form prices from: the one chosen (if the user's), or the user's only one."""
    offices = session.user.offices
    if typed and session.user.scope.allows(typed):
        return typed
    return offices[0] if offices and len(offices) == 1 else None


def _form(request: Request, session: Session, *, typed=None, quantities=None, errors=None, status_code=200):
    offices = session.user.offices
    with request.app.state.db.connect() as conn:
        document = catalogue.effective(conn, _office_of(session, (typed or {}).get("office")))
        accounts = account_choices(conn, session.user.scope, offices or None)
    return render(request, "order_new.html", session=session, status_code=status_code, typed=typed or {},
                  quantities=quantities or {}, errors=errors or {}, offices=offices, accounts=accounts,
                  positions=priced_positions(document) if document else [],
                  total=_total(document, quantities or {}),
                  currency=document["currency"] if document else settings_of(request).currency)


@router.get("/orders/new")
def new(request: Request, session: Writer):
    offices = session.user.offices
    return _form(request, session, typed={"office": offices[0] if offices and len(offices) == 1 else ""})


@router.post("/orders/new/total")
async def total(request: Request, session: Writer):
    """The amount line of the form, for htmx as quantities are typed."""
    form = await request.form()
    with request.app.state.db.connect() as conn:
        document = catalogue.effective(conn, _office_of(session, str(form.get("office") or "").strip()))
    quantities = _quantities(form)
    return render(request, "order_total.html", session=session, total=_total(document, quantities),
                  currency=document["currency"] if document else settings_of(request).currency)


@router.post("/orders/new")
async def create(request: Request, session: Writer):
    form = await request.form()
    typed = {name: str(form.get(name) or "").strip() for name in TEXT_FIELDS}
    quantities = _quantities(form)
    if form.get("compute"):     # the form's own button, without JavaScript: show the amount, make nothing
        return _form(request, session, typed=typed, quantities=quantities)
    errors: dict[str, tuple[str, dict]] = {}
    scope = session.user.scope
    if not typed["office"]:
        errors["office"] = ("orders.error.office_required", {})
    elif not scope.allows(typed["office"]):
        errors["office"] = ("orders.error.office_not_yours", {"office": typed["office"]})
    picks: dict[str, int] = {}
    for code, text in quantities.items():
        if not text.isdigit():
            errors["positions"] = ("orders.error.quantity", {"code": code, "value": text})
        else:
            picks[code] = int(text)
    with request.app.state.db.connect() as conn:
        office = typed["office"] if typed["office"] and scope.allows(typed["office"]) else None
        document = catalogue.effective(conn, office)
    currency = document["currency"] if document else settings_of(request).currency
    data: dict = {"office": typed["office"] or None, "currency": currency,
                  **{k: typed[k] for k in ("case_ref", "description", "due_date", "account") if typed[k]}}
    if typed["account"]:
        try:
            clean_iban(typed["account"], "account")
        except AccountError as exc:     # only a hand-made post: the form offers accounts, not a box
            errors["account"] = (f"accounts.error.{exc.key}", exc.values)
    payer = {k: typed[f"payer_{k}"] for k in ("name", "id", "email", "language", "address") if typed[f"payer_{k}"]}
    if payer:
        data["payer"] = payer
    if any(picks.values()):
        if typed["amount"]:
            errors["amount"] = ("orders.error.amount_from_positions", {})
        try:
            lines = price(document, picks)
            data |= {"amount_kind": "fixed", "amount_minor": sum(line.total_minor for line in lines),
                     "positions": [line.code for line in lines]}
        except PricingError as exc:
            errors["positions"] = (exc.reason.key, exc.reason.params)
    elif typed["amount"]:
        try:
            data |= {"amount_kind": "open", "amount_minor": Money.parse(typed["amount"], currency).minor}
        except MoneyError:
            errors["amount"] = ("payments.error.amount", {"value": typed["amount"]})
    elif "positions" not in errors:
        errors["positions"] = ("orders.error.nothing_to_pay", {})
    request_model = None
    if not errors:
        try:
            request_model = OrderRequest.model_validate(data)
        except ValidationError as exc:
            for problem, reason in zip(exc.errors(), from_validation(exc), strict=True):
                name = str(problem["loc"][-1]) if problem["loc"] else "form"
                name = {"name": "payer_name", "id": "payer_id", "email": "payer_email", "language": "payer_language",
                        "address": "payer_address", "amount_minor": "amount"}.get(name, name)
                # Beside its field, the reason needs no field name in front.
                errors[name if name in TEXT_FIELDS else "form"] = (reason.key, reason.params)
    if errors:
        return _form(request, session, typed=typed, quantities=quantities, errors=errors, status_code=422)
    try:
        with request.app.state.db.begin() as conn:
            order = create_order(conn, request_model, settings_of(request), session.user.actor,
                                 signing_key=request.app.state.hub.order_key)
    except OrderError as exc:
        return _form(request, session, typed=typed, quantities=quantities, status_code=422,
                     errors={"form": ("orders.error.change", {"reason": str(exc)})})
    except AccountRefused as exc:
        # Positions paid into different accounts are the positions' fault; the rest, the account's.
        field = "positions" if exc.reason.key == "orders.reason.account_positions_differ" else "account"
        return _form(request, session, typed=typed, quantities=quantities, status_code=422,
                     errors={field: (exc.reason.key, exc.reason.params)})
    return RedirectResponse(f"/orders/{order['order_id']}?done=created", status_code=303)


@router.get("/orders/import")
def import_form(request: Request, session: Writer):
    return render(request, "orders_import.html", session=session, row_errors=[], error=None, created=None)


def _import(request: Request, session: Session, name: str, data: bytes) -> list[dict]:
    settings, key, scope = settings_of(request), request.app.state.hub.order_key, session.user.scope
    with request.app.state.db.begin() as conn:
        if name.lower().endswith(".xlsx"):
            return import_xlsx(conn, data, settings, session.user.actor, key, scope=scope)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CsvImportError([RowError(1, [Reason("orders.reason.neither_csv_nor_xlsx", "the file is neither "
                                                      "UTF-8 CSV nor XLSX: save it as one of them")])]) from None
        return import_orders(conn, text, settings, session.user.actor, key, scope=scope)


@router.post("/orders/import")
async def import_file(request: Request, session: Writer, file: UploadFile | None = None):
    def page(status_code: int, **context):
        return render(request, "orders_import.html", session=session, status_code=status_code,
                      **({"row_errors": [], "error": None, "created": None} | context))
    if file is None or not file.filename:
        return page(422, error=("orders.error.no_file", {}))
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return page(413, error=("orders.error.too_big", {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)}))
    try:
        created = await run_in_threadpool(_import, request, session, file.filename, data)
    except CsvImportError as exc:
        return page(422, row_errors=exc.row_errors, filename=file.filename)
    return page(201, created=created)
