"""Case systems (admin): list, register, change, enable and disable, rotate the signing secret.

The registry does the work and the auditing (`user:<admin>`), as for
`/api/v1/case-systems`, and afterwards the same follows: confirmations that waited
unrouted are routed to a system whose patterns now match them, and an enabled system's
waiting confirmations are sent at once.  A generated secret is shown once, on the page
the form's redirect leads to, so a reload neither shows nor rotates it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, get_args
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from hub.casesys import registry
from hub.casesys.outbound import InternalTarget
from hub.delivery import wakeup
from hub.delivery.replay import route_unrouted
from hub.users.sessions import Session
from hub.web import admin_lists, shown_once
from hub.web.auth import require
from hub.web.case_system_form import change, creation, patterns_as_typed
from hub.web.admin_lists import NO_FILTER, AdminFilter
from hub.web.listing import PAGE_SIZE, keyset_page, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Session, Depends(require("casesys.manage"))]
ON_VALUES = get_args(registry.PatternOn)
DONE = ("created", "changed", "enabled", "disabled", "rotated", "dropped")


def _done(done: str) -> str:
    return f"case_systems.done.{done}" if done in DONE else ""


def _url_field(exc: InternalTarget, webhook_url: str) -> str:
    # the registry checks the webhook URL first; its message starts with the URL it refused
    return "webhook_url" if str(exc).startswith(webhook_url + " ") else "lookup_url"


def _internal_error(exc: InternalTarget, webhook_url: str) -> dict:
    return {_url_field(exc, webhook_url): ("case_systems.error.internal_target", {"detail": str(exc)})}


def _list_page(request: Request, session: Session, *, wanted=NO_FILTER, sort: str = "", cursor: str = "",
               errors=None, typed=None, status_code=200):
    with request.app.state.db.connect() as conn:
        found, bad_link = keyset_page(lambda **at: admin_lists.case_systems_page(conn, wanted, limit=PAGE_SIZE, **at),
                                      sort, cursor)
    return render(request, "case_systems.html", session=session, status_code=status_code, found=found,
                  wanted=wanted, bad_link=bad_link, sorts=list(admin_lists.CASE_SYSTEM_ORDERING.columns),
                  statuses=[(s, f"case_systems.{s}") for s in admin_lists.CASE_SYSTEM_STATUSES],
                  link=lambda **changes: link(request, **changes),
                  errors=errors or {}, typed=typed or {"priority": "100"}, on_values=ON_VALUES,
                  patterns_as_typed=patterns_as_typed)


@router.get("/case-systems")
def index(request: Request, session: Admin, status: str = "", sort: str = "", cursor: str = ""):
    return _list_page(request, session, wanted=AdminFilter(status=status), sort=sort, cursor=cursor)


def _form(patterns: str = Form(""), priority: str = Form("100"), webhook_url: str = Form(""),
          lookup_url: str = Form(""), internal: str = Form("")) -> dict:
    return dict(patterns=patterns, priority=priority, webhook_url=webhook_url, lookup_url=lookup_url,
                internal=internal)


Typed = Annotated[dict, Depends(_form)]


def _after(name: str, done: str, routed: int = 0) -> RedirectResponse:
    return RedirectResponse(f"/case-systems/{quote(name)}?done={done}" + (f"&routed={routed}" if routed else ""),
                            status_code=303)


@router.post("/case-systems")
def register(request: Request, session: Admin, typed: Typed, name: str = Form("")):
    typed = {**typed, "name": name}
    spec, errors = creation(typed)
    if spec is not None:
        try:
            with request.app.state.db.begin() as conn:
                row, generated = registry.create(conn, spec, session.user.actor)
                routed = route_unrouted(conn, session.user.actor)
        except registry.CaseSystemExists:
            errors = {"name": ("case_systems.error.exists", {"name": spec.name})}
        except InternalTarget as exc:
            errors = _internal_error(exc, spec.webhook_url)
    if errors:
        return _list_page(request, session, errors=errors, typed=typed, status_code=422)
    shown_once.keep(request, session, "case_systems.secret_created", generated, name=spec.name)
    return _after(spec.name, "created", routed)


def _detail_page(request: Request, session: Session, name: str, *, errors=None, typed=None, done: str = "",
                 routed: int = 0, status_code: int = 200):
    with request.app.state.db.connect() as conn:
        system = registry.get(conn, name)
    if system is None:
        return render(request, "refused.html", session=session, status_code=404, reason="case_systems.unknown")
    if typed is None:
        typed = {"patterns": patterns_as_typed(system["patterns"]), "priority": str(system["priority"]),
                 "webhook_url": system["webhook_url"], "lookup_url": system["lookup_url"] or "",
                 "internal": "1" if system["internal"] else ""}
    return render(request, "case_system.html", session=session, status_code=status_code, system=system,
                  view=registry.public_view(system), errors=errors or {}, typed=typed, done=_done(done),
                  routed=routed, shown=shown_once.take(request, session), on_values=ON_VALUES,
                  iso=dt.datetime.fromisoformat)


@router.get("/case-systems/{name}")
def detail(request: Request, session: Admin, name: str, done: str = "", routed: int = 0):
    return _detail_page(request, session, name, done=done, routed=routed)


def _update(request: Request, session: Session, name: str, update: registry.CaseSystemUpdate):
    with request.app.state.db.begin() as conn:
        _row, generated = registry.update(conn, name, update, session.user.actor)
        routed = route_unrouted(conn, session.user.actor) if update.patterns is not None else 0
        if update.enabled:
            wakeup.announce(conn)   # its waiting confirmations can go now
    return generated, routed


@router.post("/case-systems/{system}")
def edit(request: Request, session: Admin, system: str, typed: Typed):
    name = system
    update, errors = change(typed)
    if update is not None:
        try:
            _generated, routed = _update(request, session, name, update)
        except registry.UnknownCaseSystem:
            return _detail_page(request, session, name)
        except InternalTarget as exc:
            errors = _internal_error(exc, update.webhook_url or "")
    if errors:
        return _detail_page(request, session, name, errors=errors, typed=typed, status_code=422)
    return _after(name, "changed", routed)


def _simple(request: Request, session: Session, name: str, update: registry.CaseSystemUpdate, done: str):
    try:
        generated, _routed = _update(request, session, name, update)
    except registry.UnknownCaseSystem:
        return _detail_page(request, session, name)
    if generated:
        shown_once.keep(request, session, "case_systems.secret_rotated", generated, name=name)
    return _after(name, done)


@router.post("/case-systems/{name}/enable")
def enable(request: Request, session: Admin, name: str):
    return _simple(request, session, name, registry.CaseSystemUpdate(enabled=True), "enabled")


@router.post("/case-systems/{name}/disable")
def disable(request: Request, session: Admin, name: str):
    return _simple(request, session, name, registry.CaseSystemUpdate(enabled=False), "disabled")


@router.post("/case-systems/{name}/rotate")
def rotate(request: Request, session: Admin, name: str):
    return _simple(request, session, name, registry.CaseSystemUpdate(rotate_secret="generate"), "rotated")


@router.post("/case-systems/{name}/drop-previous")
def drop_previous(request: Request, session: Admin, name: str):
    return _simple(request, session, name, registry.CaseSystemUpdate(drop_previous_secret=True), "dropped")
