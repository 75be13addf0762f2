"""Users (admin): list (a keyset page, by role and status), create, disable and enable, reset a password.

The users service does the work and the auditing (`user:<admin>`); disabling a user or
resetting a password ends that user's sessions at once.  An admin cannot disable the
account they are using: the hub would be left without them mid-task.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from hub.users import service, sessions
from hub.users.model import LANGUAGES
from hub.users.roles import ROLES
from hub.users.service import UserError
from hub.users.sessions import Session
from hub.web import admin_lists
from hub.web.admin_lists import NO_FILTER, AdminFilter
from hub.web.auth import require
from hub.web.listing import PAGE_SIZE, keyset_page, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Session, Depends(require("users.manage"))]
DONE = {"created": "users.done.created", "disabled": "users.done.disabled", "enabled": "users.done.enabled",
        "password": "users.done.password"}


def _offices(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def _list_page(request: Request, session: Session, *, wanted=NO_FILTER, sort: str = "", cursor: str = "",
               errors=None, typed=None, done: str = "", status_code=200):
    with request.app.state.db.connect() as conn:
        found, bad_link = keyset_page(lambda **at: admin_lists.users_page(conn, wanted, limit=PAGE_SIZE, **at),
                                      sort, cursor)
    return render(request, "users.html", session=session, status_code=status_code, found=found, roles=ROLES,
                  languages_offered=LANGUAGES, errors=errors or {}, typed=typed or {}, done=DONE.get(done, ""),
                  wanted=wanted, bad_link=bad_link, sorts=list(admin_lists.USER_ORDERING.columns),
                  statuses=[(s, f"users.{s}") for s in admin_lists.USER_STATUSES],
                  role_choices=[(r, f"role.{r}") for r in ROLES],
                  link=lambda **changes: link(request, **changes))


@router.get("/users")
def index(request: Request, session: Admin, done: str = "", role: str = "", status: str = "", sort: str = "",
          cursor: str = ""):
    return _list_page(request, session, wanted=AdminFilter(role=role, status=status), sort=sort, cursor=cursor,
                      done=done)


@router.post("/users")
def create(request: Request, session: Admin, username: str = Form(""), role: str = Form(""),
           offices: str = Form(""), language: str = Form("en"), password: str = Form(""),
           password_again: str = Form("")):
    typed = dict(username=username, role=role, offices=offices, language=language)
    try:
        if password and password != password_again:
            raise UserError("password_again", "password_mismatch", "the two passwords differ")
        with request.app.state.db.begin() as conn:
            service.create(conn, username, password, role, _offices(offices), session.user.actor, language=language)
    except UserError as exc:
        return _list_page(request, session, errors={exc.field: (f"error.{exc.key}", exc.values)}, typed=typed,
                          status_code=422)
    return RedirectResponse("/users?done=created", status_code=303)


def _detail_page(request: Request, session: Session, username: str, *, errors=None, done: str = "",
                 status_code: int = 200):
    with request.app.state.db.connect() as conn:
        person = service.get(conn, username)
        open_sessions = sessions.open_sessions(conn, person.id) if person else []
    if person is None:
        return render(request, "refused.html", session=session, status_code=404, reason="users.unknown")
    return render(request, "user.html", session=session, status_code=status_code, person=person,
                  open_sessions=open_sessions, errors=errors or {}, done=DONE.get(done, ""))


@router.get("/users/{username}")
def detail(request: Request, session: Admin, username: str, done: str = ""):
    return _detail_page(request, session, username, done=done)


def _set_disabled(request: Request, session: Session, username: str, disabled: bool):
    if disabled and username.strip().lower() == session.user.username:
        return _detail_page(request, session, username, status_code=422,
                            errors={"form": ("users.error.disable_self", {})})
    try:
        with request.app.state.db.begin() as conn:
            service.set_disabled(conn, username, disabled, session.user.actor)
    except UserError as exc:
        return _detail_page(request, session, username, status_code=422,
                            errors={"form": (f"error.{exc.key}", exc.values)})
    return RedirectResponse(f"/users/{username}?done={'disabled' if disabled else 'enabled'}", status_code=303)


@router.post("/users/{username}/disable")
def disable(request: Request, session: Admin, username: str):
    return _set_disabled(request, session, username, True)


@router.post("/users/{username}/enable")
def enable(request: Request, session: Admin, username: str):
    return _set_disabled(request, session, username, False)


@router.post("/users/{username}/password")
def reset_password(request: Request, session: Admin, username: str, password: str = Form(""),
                   password_again: str = Form("")):
    try:
        if password and password != password_again:
            raise UserError("password_again", "password_mismatch", "the two passwords differ")
        with request.app.state.db.begin() as conn:
            service.reset_password(conn, username, password, session.user.actor)
    except UserError as exc:
        return _detail_page(request, session, username, status_code=422,
                            errors={exc.field: (f"error.{exc.key}", exc.values)})
    return RedirectResponse(f"/users/{username}?done=password", status_code=303)
