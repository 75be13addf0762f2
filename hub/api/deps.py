"""Injected dependencies: settings, the database, the hub context, and role-checked callers.

    @router.get("/orders", dependencies=[Depends(require_role("operator", "auditor", permission="orders.read"))])
    def list_orders(db: Db, limit: Limit = 100): ...

    @router.post("/orders")
    def create(principal: Annotated[Principal, Depends(require_role("operator", permission="orders.write"))]): ...

Every check names two things, one for each kind of caller:

    machines    send `Authorization: Bearer <token>`; the token's role must be one the
                route names (admin may do everything);
    people      a console user's browser sends its session cookie instead and is that
                user, within the user's offices; the user's console role must have the
                route's `permission` (hub/users/roles.py PERMISSIONS), so the API lets
                each role do exactly what the console lets it do.

A browser sends a cookie along with any site's form post, so a request with the cookie
that may change something (not GET, HEAD or OPTIONS) must also carry the session's CSRF
token in `X-CSRF-Token`; a bearer token is never sent unasked and needs none.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from hub.api.security import ROLES, Principal, authenticate, for_user
from hub.config import Settings
from hub.context import HubContext
from hub.store.db import Database
from hub.users import sessions
from hub.users.roles import ALL_PERMISSIONS

_bearer = HTTPBearer(auto_error=False, description="An API token created by an admin")
_session = APIKeyCookie(name=sessions.SESSION_COOKIE, auto_error=False,
                        description="The console's session, for a logged-in user's browser; a request other than "
                                    "GET, HEAD or OPTIONS must also send the session's CSRF token in X-CSRF-Token")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_hub(request: Request) -> HubContext:
    """The HubContext (keys, publisher) the app was created with."""
    return request.app.state.hub


Db = Annotated[Database, Depends(get_db)]
Hub = Annotated[HubContext, Depends(get_hub)]
HubSettings = Annotated[Settings, Depends(get_settings)]
# What the store's BigInteger holds: a larger id or offset is refused (422), not a 500.
MAX_STORED_INT = 2**63 - 1
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_STORED_INT)]
RowId = Annotated[int, Path(ge=1, le=MAX_STORED_INT)]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                  session_id: Annotated[str | None, Depends(_session)], db: Db) -> Principal:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return _token_principal(credentials.credentials, db)
    if session_id:
        return _session_principal(request, session_id, db)
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API token is required: Authorization: Bearer <token>",
                        headers={"WWW-Authenticate": "Bearer"})


def _token_principal(token: str, db: Database) -> Principal:
    with db.connect() as conn:
        principal = authenticate(conn, token)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the API token is unknown or revoked",
                            headers={"WWW-Authenticate": "Bearer"})
    return principal


def _session_principal(request: Request, session_id: str, db: Database) -> Principal:
    session = sessions.current(db, session_id, request.app.state.settings)
    principal = None if session is None else for_user(session.user, session.csrf_token)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "the console session has ended (logged out, expired or the user disabled): log in "
                            "again, or send an API token: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(sessions.CSRF_HEADER, "")
        if not secrets.compare_digest(sent.encode(), principal.csrf_token.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"a request made with the console's session must send the session's CSRF token "
                                f"in the {sessions.CSRF_HEADER} header")
    return principal


def require_role(*roles: str, permission: str) -> Callable[..., Principal]:
    """A check admitting tokens of `roles` (and admin) and console users whose role has `permission`."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    allowed = frozenset({"admin", *roles})

    def refusal(principal: Principal) -> HTTPException | None:
        return caller_refusal(principal, allowed, permission)

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        refused = refusal(principal)
        if refused is not None:
            raise refused
        return principal

    # Read by hub/api/errors.py (who may see a 422 here) and by the tests of every route's permission.
    check.refusal, check.allowed_roles, check.permission = refusal, allowed, permission
    return check


def caller(*roles: str, permission: str):
    """`Annotated[Principal, ...]` for a route that needs to know who calls (for the audit log)."""
    return Annotated[Principal, Depends(require_role(*roles, permission=permission))]


def identify(request: Request, db: Database) -> tuple[Principal | None, HTTPException | None]:
    """The caller of `request` by its bearer token or session, or why it is refused (401, or 403 for CSRF)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        credentials = (HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())
                       if scheme.lower() == "bearer" and token.strip() else None)
        return get_principal(request, credentials, request.cookies.get(sessions.SESSION_COOKIE), db), None
    except HTTPException as exc:
        return None, exc


def caller_refusal(principal: Principal, roles: frozenset[str] | set[str], permission: str) -> HTTPException | None:
    """Why `principal` may not call a route of these token roles and this console permission, or None."""
    if principal.user is None:
        return role_refusal(principal, roles)
    if principal.user.may(permission):
        return None
    return HTTPException(status.HTTP_403_FORBIDDEN,
                         f"a {principal.user.role} may not do this in the console, so not on the API either "
                         f"(needs permission {permission})")


def role_refusal(principal: Principal, allowed: frozenset[str] | set[str]) -> HTTPException | None:
    if principal.role in allowed:
        return None
    return HTTPException(status.HTTP_403_FORBIDDEN,
                         f"role {principal.role!r} may not do this; needs one of {', '.join(sorted(allowed))}")
