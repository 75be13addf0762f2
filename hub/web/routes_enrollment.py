"""Enrollment tokens: list (a keyset page, by office and status), create one (shown once, after the form's redirect), revoke an unused one.

The work is hub.pki.enrollment's, as for `/api/v1/enrollment-tokens`; its refusal codes
say which field was wrong.  A user bound to named offices creates and sees tokens of
those offices only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from hub.pki.enrollment import (DEFAULT_TOKEN_HOURS, MAX_TOKEN_HOURS, EnrollmentRefused, create_token, list_tokens,
                                revoke_token)
from hub.users.sessions import Session
from hub.web import admin_lists, i18n, shown_once
from hub.web.admin_lists import AdminFilter
from hub.web.auth import require
from hub.web.forms import FieldProblem, parse_whole
from hub.web.listing import PAGE_SIZE, keyset_page, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Session, Depends(require("enrollment.manage"))]
FIELD_OF = {"bad_office": "office", "bad_expiry": "hours", "bad_agent_id": "agent_id"}


def _page(request: Request, session: Session, *, office: str = "", status: str = "", sort: str = "", cursor: str = "",
          errors=None, typed=None, done: str = "", status_code: int = 200):
    scope, wanted = session.user.scope, AdminFilter(office=office, status=status)
    with request.app.state.db.connect() as conn:
        found, bad_link = keyset_page(lambda **at: admin_lists.enrollment_tokens_page(conn, scope, wanted,
                                                                                      limit=PAGE_SIZE, **at),
                                      sort, cursor)
        offices = admin_lists.enrollment_offices(conn, scope)
    return render(request, "enrollment.html", session=session, status_code=status_code, found=found,
                  office=office, wanted=wanted, bad_link=bad_link, sorts=list(admin_lists.ENROLLMENT_ORDERING.columns),
                  statuses=[(s, f"enrollment.status.{s}") for s in admin_lists.ENROLLMENT_STATUSES],
                  link=lambda **changes: link(request, **changes), offices=offices, errors=errors or {},
                  typed=typed or {"hours": str(DEFAULT_TOKEN_HOURS), "office": office},
                  shown=shown_once.take(request, session), done=done, max_hours=MAX_TOKEN_HOURS, iso=dt.datetime.fromisoformat)


@router.get("/enrollment-tokens")
def index(request: Request, session: Manager, office: str = "", done: str = "", status: str = "", sort: str = "",
          cursor: str = ""):
    return _page(request, session, office=office.strip(), status=status, sort=sort, cursor=cursor, done=f"enrollment.done.{done}" if done in (
        "revoked",) else "")


@router.post("/enrollment-tokens")
def create(request: Request, session: Manager, office: str = Form(""), hours: str = Form(""),
           agent_id: str = Form(""), note: str = Form("")):
    typed = dict(office=office, hours=hours, agent_id=agent_id, note=note)
    errors = {}
    try:
        expires_in = parse_whole(hours, session.user.language)
    except FieldProblem as exc:
        errors["hours"] = (exc.key, exc.values)
    if not session.user.scope.allows(office.strip()):
        errors["office"] = ("enrollment.error.office_not_yours", {})
    if len(note) > 200:
        errors["note"] = ("form.error.string_too_long", {"max_length": 200})
    if not errors:
        try:
            with request.app.state.db.begin() as conn:
                token, info = create_token(conn, office, session.user.actor, hours=expires_in,
                                           agent_id=agent_id.strip() or None, note=note.strip() or None)
        except EnrollmentRefused as exc:
            errors[FIELD_OF.get(exc.code, "form")] = (f"enrollment.error.{exc.code}", {"max": MAX_TOKEN_HOURS})
    if errors:
        return _page(request, session, errors=errors, typed=typed, status_code=422)
    expires = i18n.format_date(dt.datetime.fromisoformat(info["expires_at"]), session.user.language)
    shown_once.keep(request, session, "enrollment.created", token, office=info["office"], expires=expires)
    # a reload of the page this leads to makes no second token
    return RedirectResponse(f"/enrollment-tokens?office={quote(info['office'], safe='')}", status_code=303)


@router.post("/enrollment-tokens/{token_id}/revoke")
def revoke(request: Request, session: Manager, token_id: int):
    try:
        with request.app.state.db.begin() as conn:
            known = [t for t in list_tokens(conn) if t["token_id"] == token_id]
            if not known or not session.user.scope.allows(known[0]["office"]):
                return _page(request, session, status_code=404,
                             errors={"form": ("enrollment.error.token_unknown", {"max": MAX_TOKEN_HOURS})})
            revoke_token(conn, token_id, session.user.actor)
    except EnrollmentRefused as exc:
        return _page(request, session, status_code=409,
                     errors={"form": (f"enrollment.error.{exc.code}", {"max": MAX_TOKEN_HOURS})})
    return RedirectResponse("/enrollment-tokens?done=revoked", status_code=303)
