"""The fleet at `/agents`: the list by office and status, one agent's page, revoke, ask for diagnostics.

Everything is within the viewer's office scope: an agent of another office gets the
not-found page, by link or by typed URL.  Revoking goes through the API's own path
(hub.pki.routes.revoke_everywhere), asking for diagnostics through hub.ingest.commands.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from hub.ingest import fleet
from hub.ingest.commands import ask_diagnostics
from hub.pki.enrollment import EnrollmentNotFound
from hub.pki.routes import revoke_everywhere
from hub.store.paging import PagingError
from hub.users.sessions import Session
from hub.web.auth import require
from hub.web.listing import PAGE_SIZE, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("agents.read"))]
Manager = Annotated[Session, Depends(require("agents.manage"))]
Revoker = Annotated[Session, Depends(require("agents.revoke"))]


def not_found(request: Request, session: Session, agent_id: str):
    return render(request, "not_found.html", session=session, status_code=404,
                  message=("agents.not_found", {"agent": agent_id}), back="/agents")


@router.get("/agents")
def index(request: Request, session: Reader, office: str = "", status: str = "", sort: str = "",
          cursor: str = ""):
    wanted = fleet.FleetFilter(office=office or None, status=status if status in fleet.STATUSES else None)
    error = None
    with request.app.state.db.connect() as conn:
        try:
            found = fleet.fleet_page(conn, session.user.scope, wanted, sort=sort or None, cursor=cursor or None,
                                     limit=PAGE_SIZE)
        except PagingError:
            error = "agents.bad_cursor"
            found = fleet.fleet_page(conn, session.user.scope, wanted, limit=PAGE_SIZE)
        offices = fleet.offices(conn, session.user.scope)
    return render(request, "agents.html", session=session, found=found, wanted=wanted, offices=offices,
                  statuses=fleet.STATUSES, sorts=list(fleet.ORDERING.columns), error=error,
                  link=lambda **changes: link(request, **changes), iso=dt.datetime.fromisoformat,
                  status_code=400 if error else 200)


def _agent_page(request: Request, session: Session, agent_id: str, *, status_code: int = 200,
                errors: dict | None = None, reason: str = "", notice: str | None = None):
    with request.app.state.db.connect() as conn:
        agent = fleet.agent_in_scope(conn, session.user.scope, agent_id)
    if agent is None:
        return not_found(request, session, agent_id)
    return render(request, "agent.html", session=session, agent=agent, errors=errors or {}, reason=reason,
                  notice=notice, iso=dt.datetime.fromisoformat, status_code=status_code)


@router.get("/agents/{agent_id}")
def show(request: Request, session: Reader, agent_id: str, done: str = ""):
    notices = {"revoked": "agents.revoked", "asked": "agents.diagnostics_sent",
               "not_sent": "agents.diagnostics_not_sent"}
    return _agent_page(request, session, agent_id, notice=notices.get(done))


@router.post("/agents/{agent_id}/revoke")
def revoke(request: Request, session: Revoker, agent_id: str, reason: str = Form(""), confirm: str = Form("")):
    db = request.app.state.db
    with db.connect() as conn:
        if fleet.agent_in_scope(conn, session.user.scope, agent_id) is None:
            return not_found(request, session, agent_id)
    reason = reason.strip()
    errors = {}
    if not reason:
        errors["reason"] = ("agents.reason_required", {})
    elif len(reason) > 200:
        errors["reason"] = ("agents.reason_too_long", {"maximum": 200})
    if confirm != "yes":
        errors["confirm"] = ("agents.confirm_required", {})
    if errors:
        return _agent_page(request, session, agent_id, status_code=422, errors=errors, reason=reason)
    try:
        revoke_everywhere(request, db, agent_id, reason, session.user.actor)
    except EnrollmentNotFound:
        return _agent_page(request, session, agent_id, status_code=422, reason=reason,
                           errors={"reason": ("agents.never_enrolled", {})})
    except HTTPException as exc:        # the hub has no CA here (503): say so beside the form
        return _agent_page(request, session, agent_id, status_code=exc.status_code, reason=reason,
                           errors={"reason": ("agents.revoke_unavailable", {"detail": str(exc.detail)})})
    return RedirectResponse(f"/agents/{quote(agent_id)}?done=revoked", status_code=303)


@router.post("/agents/{agent_id}/diagnostics")
def diagnostics(request: Request, session: Manager, agent_id: str):
    with request.app.state.db.begin() as conn:
        if fleet.agent_in_scope(conn, session.user.scope, agent_id) is None:
            return not_found(request, session, agent_id)
        asked = ask_diagnostics(conn, request.app.state.hub, agent_id, session.user.actor)
    return RedirectResponse(f"/agents/{quote(agent_id)}?done={'asked' if asked.sent else 'not_sent'}", status_code=303)
