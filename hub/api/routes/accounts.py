"""The offices' bank accounts: list, add, close (finance and admin manage; operators and auditors read).

Everything is within the caller's office scope: an account of another office is listed to
no one outside it, and closing it is answered like an account that does not exist (404).
A console user manages accounts when the user's role has `accounts.manage` (hub/users/roles.py),
a token when it is an admin's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from hub.api.deps import Db, Limit, require_role
from hub.api.schemas.accounts import BankAccountClose, BankAccountIn, BankAccountOut
from hub.api.security import Principal
from hub.finance.accounts import accounts_page, add_account, close_account

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])
_reader = require_role("operator", "auditor", permission="accounts.read")
Reader = Annotated[Principal, Depends(_reader)]


Manager = Annotated[Principal, Depends(require_role(permission="accounts.manage"))]


@router.get("", response_model=list[BankAccountOut],
            description="A page of the accounts of the caller's offices, open and closed; the `Link` header gives "
                        "the next and previous pages (rel next, prev).")
def index(principal: Reader, db: Db, request: Request, response: Response, office: str | None = None,
          sort: Annotated[str | None, Query(pattern=r"^-?(office|iban|active_from)$")] = None,
          cursor: Annotated[str | None, Query(max_length=2000)] = None, limit: Limit = 100) -> list[dict]:
    with db.connect() as conn:
        page = accounts_page(conn, principal.scope, office=office, sort=sort, cursor=cursor, limit=limit)
    links = [f'<{request.url.include_query_params(cursor=c)}>; rel="{rel}"'
             for rel, c in (("next", page.next_cursor), ("prev", page.prev_cursor)) if c]
    if links:
        response.headers["Link"] = ", ".join(links)
    return [account.public() for account in page.rows]


@router.post("", status_code=201, response_model=BankAccountOut, summary="Add an account to an office (audited)")
def add(body: BankAccountIn, principal: Manager, db: Db) -> dict:
    if not principal.scope.allows(body.office):
        raise HTTPException(422, f"office {body.office!r} is not one of the caller's offices "
                                 f"({principal.scope.describe()})")
    with db.begin() as conn:
        return add_account(conn, office=body.office, iban=body.iban, holder=body.holder, bank=body.bank,
                           purpose=body.purpose, active_from=body.active_from, actor=principal.actor).public()


@router.post("/{iban}/close", response_model=BankAccountOut,
             summary="Close an account from a day on (audited); it stays listed with its last day")
def close(iban: str, principal: Manager, db: Db, body: BankAccountClose | None = None) -> dict:
    with db.begin() as conn:
        return close_account(conn, iban=iban, active_to=body.active_to if body else None, actor=principal.actor,
                             scope=principal.scope).public()
