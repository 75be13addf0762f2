"""Card payments per service step at `/card-payments`: an office's contracts and applications, and the reviewers' queue.

Everyone with `activation.read` sees the offices of their scope: the chosen office's
contracts and every service step of the published catalogue with its application's
state, what submitting still needs, the last comment and the whole history.  The office's
staff (`activation.apply`) register contracts and submit; reviewers (`activation.review`)
comment, approve and suspend, from the office's page or the queue of submitted
applications.  Another office's page is the not-found page, by link or typed URL.
hub/activation does the work and the auditing (`user:<name>`); after a change the
office's desks are told (hub/activation/feed.py).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from hub.activation import applications, feed
from hub.activation.applications import REVIEW_ACTIONS, TRANSITIONS
from hub.activation.contracts import add_contract, contracts
from hub.activation.errors import ActivationError, PreconditionsMissing
from hub.users.scope import Scope
from hub.users.sessions import Session
from hub.web.auth import NotPermitted, require
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("activation.read"))]
Applicant = Annotated[Session, Depends(require("activation.apply"))]
DONE = {action: f"activation.done.{action}" for action in TRANSITIONS} | {"contract": "activation.done.contract"}
CONTRACT_FIELDS = ("acquirer", "contract_no", "valid_from", "valid_to")


def _page(request: Request, session: Session, *, office: str = "", done: str = "", errors: dict | None = None,
          typed: dict | None = None, missing: list | None = None, status_code: int = 200):
    scope: Scope = session.user.scope
    own = sorted(scope.offices) if scope.offices is not None else None
    office = office.strip() or (own[0] if own else "")
    if office and not scope.allows(office):
        return _not_found(request, session, office)
    steps, found_contracts, histories = [], [], {}
    with request.app.state.db.connect() as conn:
        queue = applications.applications(conn, scope, state="submitted")
        if office:
            try:
                steps = applications.overview(conn, office)
            except ActivationError:
                return _not_found(request, session, office)
            found_contracts = contracts(conn, scope, office)
            for application in applications.applications(conn, scope, office=office):
                histories[application["service"]] = applications.history(conn, application["id"])
    return render(request, "card_payments.html", session=session, office=office, own_offices=own, steps=steps,
                  contracts=found_contracts, histories=histories, queue=queue, done=DONE.get(done, ""),
                  errors=errors or {}, typed=typed or {}, missing=missing or [],
                  actions={state: [a for a, (sources, _, _) in TRANSITIONS.items() if state in sources]
                           for state in ("draft", "submitted", "commented", "active", "suspended")},
                  review_actions=REVIEW_ACTIONS, status_code=status_code)


def _not_found(request: Request, session: Session, office: str):
    return render(request, "not_found.html", session=session, status_code=404,
                  message=("activation.not_found", {"office": office}), back="/card-payments")


@router.get("/card-payments")
def index(request: Request, session: Reader, office: str = "", done: str = ""):
    return _page(request, session, office=office, done=done)


@router.post("/card-payments/contracts")
def contract_add(request: Request, session: Applicant, office: str = Form(""), acquirer: str = Form(""),
                 contract_no: str = Form(""), valid_from: str = Form(""), valid_to: str = Form("")):
    typed = dict(acquirer=acquirer, contract_no=contract_no, valid_from=valid_from, valid_to=valid_to)
    if not session.user.scope.allows(office.strip()):
        return _not_found(request, session, office)
    try:
        with request.app.state.db.begin() as conn:
            made = add_contract(conn, office=office, acquirer=acquirer, contract_no=contract_no,
                                valid_from=valid_from, valid_to=valid_to or None, actor=session.user.actor)
    except ActivationError as exc:
        field = exc.field if exc.field in CONTRACT_FIELDS else "form"
        return _page(request, session, office=office, typed=typed, status_code=422,
                     errors={field: (f"activation.error.{exc.key}", _texts(exc.values))})
    feed.publish_for(request.app.state.db, request.app.state.hub, made["office"])
    return RedirectResponse(f"/card-payments?office={quote(made['office'])}&done=contract", status_code=303)


def _texts(values: dict) -> dict:
    return {k: str(v) for k, v in values.items()}


@router.post("/card-payments/{office}/{service}/{action}")
def step(request: Request, session: Reader, office: str, service: str, action: str, text: str = Form("")):
    if action not in TRANSITIONS:
        return _not_found(request, session, office)
    needed = "activation.review" if action in REVIEW_ACTIONS else "activation.apply"
    if not session.user.may(needed):
        raise NotPermitted(needed)
    try:
        with request.app.state.db.begin() as conn:
            applications.transition(conn, action, office=office, service=service, actor=session.user.actor,
                                    text=text, scope=session.user.scope)
    except PreconditionsMissing as exc:
        return _page(request, session, office=office, status_code=409, missing=exc.missing,
                     errors={"form": ("activation.error.missing", {"service": service})})
    except ActivationError as exc:
        if exc.key in ("office_not_yours",):
            return _not_found(request, session, office)
        return _page(request, session, office=office, status_code=422, typed={"text": text, "service": service},
                     errors={"text" if exc.field == "text" else "form": (f"activation.error.{exc.key}",
                                                                         _texts(exc.values))})
    feed.publish_for(request.app.state.db, request.app.state.hub, office.strip())
    return RedirectResponse(f"/card-payments?office={quote(office.strip())}&done={action}", status_code=303)
