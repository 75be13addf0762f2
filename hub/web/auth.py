"""Who is asking: the session behind the console's cookie, the CSRF check, permissions.

Cookies are HttpOnly, Secure (unless `[web] secure_cookies = false`, for plain HTTP on
loopback only) and SameSite=Lax: Lax, not Strict, so a link to a console page shared by
mail or chat opens logged in; that costs nothing, because no GET changes anything and
every POST must carry the session's CSRF token (`csrf_token` field, or the
`X-CSRF-Token` header htmx sends from `<body hx-headers>`).  The login form, before any
session, is protected by a double-submit token in a cookie of its own.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Callable

from fastapi import Depends, Request
from fastapi.responses import Response

from hub.config import Settings
from hub.users import sessions
from hub.users.sessions import CSRF_HEADER, SESSION_COOKIE, Session, session_policy  # noqa: F401 - routes read it here
from hub.users.throttle import ThrottlePolicy

LOGIN_CSRF_COOKIE = "cp_login_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No valid session: the browser is sent to /login (and back afterwards)."""


class CsrfRefused(Exception):
    """A state-changing request without the right CSRF token."""


class NotPermitted(Exception):
    """The user's role lacks the permission the page needs."""

    def __init__(self, permission: str):
        super().__init__(permission)
        self.permission = permission


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(max_failures_per_user=settings.web.login_max_failures,
                          max_failures_per_address=settings.web.login_max_failures_per_address,
                          window_s=settings.web.login_window_minutes * 60)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def optional_session(request: Request) -> Session | None:
    """The request's valid session, or None; refreshes last_seen now and then."""
    if hasattr(request.state, "console_session"):
        return request.state.console_session
    session = sessions.current(request.app.state.db, request.cookies.get(SESSION_COOKIE), settings_of(request))
    request.state.console_session = session
    return session


def current_session(request: Request) -> Session:
    session = optional_session(request)
    if session is None:
        raise LoginRequired()
    return session


async def submitted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def checked_session(request: Request) -> Session:
    """The session, and for any request but GET/HEAD/OPTIONS its CSRF token checked."""
    session = current_session(request)
    if request.method not in SAFE_METHODS:
        if not secrets.compare_digest(await submitted_csrf(request), session.csrf_token):
            raise CsrfRefused()
    return session


def require(permission: str) -> Callable[..., Session]:
    async def check(session: Annotated[Session, Depends(checked_session)]) -> Session:
        if not session.user.may(permission):
            raise NotPermitted(permission)
        return session
    return check


ConsoleSession = Annotated[Session, Depends(checked_session)]


def set_session_cookie(response: Response, settings: Settings, session_id: str) -> None:
    response.set_cookie(SESSION_COOKIE, session_id, max_age=settings.web.session_lifetime_hours * 3600, path="/",
                        secure=settings.web.secure_cookies, httponly=True, samesite="lax")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=settings.web.secure_cookies, httponly=True,
                           samesite="lax")


def login_csrf(request: Request) -> str:
    """The login form's token: the one in its cookie, or a new one."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login", secure=settings.web.secure_cookies,
                        httponly=True, samesite="lax")
