"""Notices by e-mail in the console: the send requests and their progress, and the "Mail notices" action.

`/notices/mail` lists the send requests with their counts per state and holds the form
that mails the notices of unpaid orders (office, due before); an order's page posts its
own order here.  `POST /notices/mail/send` opens the request in one transaction with its
audit row under the user's name (hub/mail/ledger.py) and mails it from a thread of this
process; `/notices/mail/{request}` follows it (htmx reloads the counts every 2 s while
anything is queued or sending) and lists the messages refused, failed or unknown with the
server's answer.  Everything is within the user's offices: an operator mails, counts and
sees only their offices' orders.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from hub.mail import ledger, status
from hub.mail.ledger import Selection
from hub.mail.selection import SelectionRefused, select_for_mail
from hub.mail.sender import run_request
from hub.mail.smtp import MailServerUnusable
from hub.users.sessions import Session
from hub.web.auth import require, settings_of
from hub.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
Sender = Annotated[Session, Depends(require("notices.send"))]
REASONS = {ledger.NO_EMAIL: "mail.reason_no_email", ledger.CANCELLED: "mail.reason_cancelled",
           ledger.PAID: "mail.reason_paid"}
"""Our own reasons, shown in the reader's language (a server's answer is shown as it came)."""


def _list(request: Request, session: Session, *, status_code: int = 200, errors=None, typed=None):
    with request.app.state.db.connect() as conn:
        found = status.requests(conn, session.user.scope.offices)
    return render(request, "mail_requests.html", session=session, status_code=status_code, found=found,
                  errors=errors or {}, typed=typed or {}, configured=settings_of(request).smtp.configured,
                  iso=dt.datetime.fromisoformat)


@router.get("/notices/mail")
def requests(request: Request, session: Sender):
    return _list(request, session)


def _note_stopped(db, request_id: str, why: str | None) -> None:
    # In the database, not this process's memory: the page may be asked of another API process.
    with db.begin() as conn:
        ledger.note_stopped(conn, request_id, why)


def _mail_in_background(db, settings, request_id: str) -> None:
    try:
        if not run_request(db, settings, request_id).elsewhere:
            _note_stopped(db, request_id, None)
    except MailServerUnusable as exc:
        _note_stopped(db, request_id, str(exc))
        log.warning("notices by e-mail, request %s stopped: %s", request_id, exc)
    except Exception:               # a thread's failure must reach the log, not vanish
        log.exception("notices by e-mail, request %s failed", request_id)


@router.post("/notices/mail/send")
def send(request: Request, session: Sender, order: Annotated[list[str] | None, Form()] = None,
         office: str = Form(""), due_before: str = Form("")):
    settings = settings_of(request)
    typed = {"office": office.strip(), "due_before": due_before.strip()}
    if not settings.smtp.configured:
        return _list(request, session, status_code=409, errors={"form": ("mail.not_configured", {})}, typed=typed)
    day = None
    if typed["due_before"]:
        try:
            day = dt.date.fromisoformat(typed["due_before"])
        except ValueError:
            return _list(request, session, status_code=422, typed=typed,
                         errors={"due_before": ("payments.error.date", {"value": typed["due_before"]})})
    scope = session.user.scope
    order_ids = tuple(dict.fromkeys(o.strip() for o in order or [] if o.strip()))
    selection = Selection(order_ids=order_ids, unpaid=not order_ids, office=typed["office"] or None,
                          due_before=day if not order_ids else None, offices=scope.offices)
    try:
        with request.app.state.db.begin() as conn:
            found = select_for_mail(conn, order_ids=list(order_ids), unpaid=not order_ids,
                                    office=selection.office, due_before=selection.due_before, scope=scope)
            if not found:
                return _list(request, session, status_code=422, typed=typed,
                             errors={"form": ("mail.nothing_selected", {})})
            plan = ledger.open_request(conn, selection, found, settings, session.user.actor)
    except SelectionRefused:
        return render(request, "record_missing.html", session=session, status_code=404, what="orders.missing")
    threading.Thread(target=_mail_in_background, args=(request.app.state.db, settings, plan.request_id),
                     name=f"mail-{plan.request_id}", daemon=True).start()
    return RedirectResponse(f"/notices/mail/{plan.request_id}?done=started", status_code=303)


@router.get("/notices/mail/{request_id}")
def one(request: Request, session: Sender, request_id: str):
    offices = session.user.scope.offices
    with request.app.state.db.connect() as conn:
        found = status.one_request(conn, request_id, offices)
        if found is None:
            return render(request, "record_missing.html", session=session, status_code=404, what="mail.missing")
        problems = status.messages(conn, request_id, offices=offices)
        skipped = status.messages(conn, request_id, states=("skipped",), offices=offices, limit=200)
    template = "_mail_progress.html" if request.headers.get("HX-Request") else "mail_request.html"
    return render(request, template, session=session, found=found, problems=problems, skipped=skipped,
                  reasons=REASONS, stopped=found.get("stopped"), done=request.query_params.get("done"),
                  iso=dt.datetime.fromisoformat)
