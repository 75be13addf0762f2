"""Bank accounts at `/accounts`: the list by office (keyset pages), add one, close one after a confirmation.

Everyone who may read accounts sees those of their offices; finance and admin add and close
them (`accounts.manage`).  An account of another office gets the not-found page, by link or
by typed URL.  hub/finance/accounts.py does the work and the auditing (`user:<name>`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from hub.finance import accounts
from hub.finance.accounts import AccountError
from hub.store.paging import PagingError
from hub.users.sessions import Session
from hub.web.auth import require
from hub.web.listing import PAGE_SIZE, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("accounts.read"))]
Manager = Annotated[Session, Depends(require("accounts.manage"))]
DONE = {"added": "accounts.done.added", "closed": "accounts.done.closed"}
FIELDS = ("office", "iban", "holder", "bank", "purpose", "active_from")


def _problem(exc: AccountError) -> tuple[str, tuple[str, dict]]:
    return exc.field or "form", (f"accounts.error.{exc.key}", exc.values)


def _list_page(request: Request, session: Session, *, office: str = "", sort: str = "", cursor: str = "",
               done: str = "", errors: dict | None = None, typed: dict | None = None, status_code: int = 200):
    scope = session.user.scope
    error = None
    with request.app.state.db.connect() as conn:
        try:
            found = accounts.accounts_page(conn, scope, office=office or None, sort=sort or None,
                                           cursor=cursor or None, limit=PAGE_SIZE)
        except PagingError:
            error = "accounts.bad_cursor"
            found = accounts.accounts_page(conn, scope, office=office or None, limit=PAGE_SIZE)
        offices = accounts.offices_with_accounts(conn, scope)
    # A user of named offices picks one of them; a user of every office types the code.
    own_offices = [(code, code) for code in sorted(scope.offices)] if scope.offices is not None else None
    typed = typed or {"office": own_offices[0][0] if own_offices else ""}
    return render(request, "accounts.html", session=session, found=found, office=office, offices=offices,
                  own_offices=own_offices, sorts=list(accounts.ORDERING.columns), error=error,
                  today=dt.date.today(), errors=errors or {}, typed=typed, done=DONE.get(done, ""),
                  link=lambda **changes: link(request, **changes),
                  status_code=400 if error else status_code)


@router.get("/accounts")
def index(request: Request, session: Reader, office: str = "", sort: str = "", cursor: str = "", done: str = ""):
    return _list_page(request, session, office=office, sort=sort, cursor=cursor, done=done)


@router.post("/accounts")
def add(request: Request, session: Manager, office: str = Form(""), iban: str = Form(""), holder: str = Form(""),
        bank: str = Form(""), purpose: str = Form(""), active_from: str = Form("")):
    typed = dict(office=office, iban=iban, holder=holder, bank=bank, purpose=purpose, active_from=active_from)
    if office.strip() and not session.user.scope.allows(office.strip()):
        errors = {"office": ("accounts.error.office_not_yours", {"office": office.strip()})}
        return _list_page(request, session, errors=errors, typed=typed, status_code=422)
    try:
        with request.app.state.db.begin() as conn:
            accounts.add_account(conn, office=office, iban=iban, holder=holder, bank=bank, purpose=purpose,
                                 active_from=active_from, actor=session.user.actor)
    except AccountError as exc:
        return _list_page(request, session, errors=dict([_problem(exc)]), typed=typed, status_code=422)
    return RedirectResponse("/accounts?done=added", status_code=303)


def _in_scope(request: Request, session: Session, iban: str):
    with request.app.state.db.connect() as conn:
        account = accounts.account_by_iban(conn, iban)
    return account if account is not None and session.user.scope.allows(account.office) else None


def _not_found(request: Request, session: Session, iban: str):
    return render(request, "not_found.html", session=session, status_code=404,
                  message=("accounts.not_found", {"iban": iban}), back="/accounts")


def _close_page(request: Request, session: Session, account, *, errors=None, active_to: str = "",
                status_code: int = 200):
    return render(request, "account_close.html", session=session, account=account, errors=errors or {},
                  active_to=active_to or dt.date.today().isoformat(), status_code=status_code)


@router.get("/accounts/{iban}/close")
def close_form(request: Request, session: Manager, iban: str):
    account = _in_scope(request, session, iban)
    if account is None:
        return _not_found(request, session, iban)
    return _close_page(request, session, account)


@router.post("/accounts/{iban}/close")
def close(request: Request, session: Manager, iban: str, active_to: str = Form(""), confirm: str = Form("")):
    account = _in_scope(request, session, iban)
    if account is None:
        return _not_found(request, session, iban)
    if confirm != "yes":
        return _close_page(request, session, account, active_to=active_to, status_code=422,
                           errors={"confirm": ("accounts.confirm_required", {})})
    try:
        with request.app.state.db.begin() as conn:
            accounts.close_account(conn, iban=account.iban, active_to=active_to, actor=session.user.actor,
                                   scope=session.user.scope)
    except AccountError as exc:
        field, problem = _problem(exc)      # closed already (by someone else meanwhile): said above the form
        return _close_page(request, session, account, active_to=active_to, status_code=422,
                           errors={field if field == "active_to" else "form": problem})
    return RedirectResponse(f"/accounts?done=closed&office={quote(account.office)}", status_code=303)
