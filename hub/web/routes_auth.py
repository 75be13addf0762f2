"""Login, logout, password change and the language switch."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from hub.users import login as logins
from hub.users import service
from hub.users.service import UserError
from hub.web import auth
from hub.web.auth import ConsoleSession
from hub.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (`//evil`, `https://…`)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(request: Request, *, status_code: int = 200, username: str = "", next_path: str = "/",
                errors: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    token = auth.login_csrf(request)
    response = render(request, "login.html", session=None, status_code=status_code, headers=headers,
                      csrf_token=token, username=username, next_path=next_path, errors=errors or {})
    auth.set_login_csrf_cookie(response, auth.settings_of(request), token)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    if auth.optional_session(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
          next: str = Form("/")):
    cookie = request.cookies.get(auth.LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        raise auth.CsrfRefused()
    settings = auth.settings_of(request)
    outcome = logins.login(request.app.state.db, username, password, address=auth.client_address(request),
                           user_agent=request.headers.get("user-agent"),
                           throttle_policy=auth.throttle_policy(settings), session_policy=auth.session_policy(settings))
    kept = dict(username=username.strip(), next_path=safe_next(next))
    if outcome.refused == "throttled":
        minutes, seconds = divmod(outcome.wait_s, 60)
        return _login_page(request, status_code=429, headers={"Retry-After": str(outcome.wait_s)},
                           errors={"form": ("login.throttled", {"minutes": minutes, "seconds": seconds})}, **kept)
    if outcome.refused == "wrong":
        return _login_page(request, status_code=401, errors={"password": ("login.wrong", {})}, **kept)
    if outcome.refused == "disabled":
        return _login_page(request, status_code=403, errors={"username": ("login.disabled", {})}, **kept)
    if outcome.refused == "desk":
        return _login_page(request, status_code=403, errors={"username": ("login.desk", {})}, **kept)
    response = RedirectResponse(kept["next_path"], status_code=303)
    auth.set_session_cookie(response, settings, outcome.session_id)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: ConsoleSession):
    logins.logout(request.app.state.db, session)
    response = RedirectResponse("/login", status_code=303)
    auth.clear_session_cookie(response, auth.settings_of(request))
    return response


@router.get("/password")
def password_form(request: Request, session: ConsoleSession, done: int = 0):
    return render(request, "password.html", session=session, errors={}, done=bool(done))


@router.post("/password")
def change_password(request: Request, session: ConsoleSession, old_password: str = Form(""),
                    new_password: str = Form(""), new_password_again: str = Form("")):
    try:
        with request.app.state.db.begin() as conn:
            service.change_password(conn, session.user, old_password, new_password, new_password_again,
                                    keep_session=session.id_hash)
    except UserError as exc:
        return render(request, "password.html", session=session, status_code=422, done=False,
                      errors={exc.field: (f"error.{exc.key}", exc.values)})
    return RedirectResponse("/password?done=1", status_code=303)


@router.post("/language")
def choose_language(request: Request, session: ConsoleSession, language: str = Form(""), next: str = Form("/")):
    try:
        with request.app.state.db.begin() as conn:
            service.set_language(conn, session.user, language)
    except UserError:
        pass        # the switch offers only known languages; anything else leaves the language as it is
    return RedirectResponse(safe_next(next), status_code=303)
