"""Injected dependencies: settings, the database, the hub context, and role-checked callers.

    @router.get("/orders", dependencies=[Depends(require_role("operator", "auditor"))])
    def list_orders(db: Db, limit: Limit = 100): ...

    @router.post("/orders")
    def create(principal: Operator, db: Db): ...

Admin may do everything; other roles only what a route names.
Machines send `Authorization: Bearer <token>`.  A console user's browser sends its
session cookie instead and is that user (hub/users/roles.py `API_ROLES`, the user's
offices).  A browser sends a cookie along with any site's form post, so a request with
the cookie that may change something (not GET, HEAD or OPTIONS) must also carry the
session's CSRF token in `X-CSRF-Token`; a bearer token is never sent unasked and
needs none.
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


def require_role(*roles: str) -> Callable[..., Principal]:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    allowed = {"admin", *roles}

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        refusal = role_refusal(principal, allowed)
        if refusal is not None:
            raise refusal
        return principal

    check.allowed_roles = frozenset(allowed)    # read by hub/api/errors.py: who may see a 422 here
    return check


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


def role_refusal(principal: Principal, allowed: frozenset[str] | set[str]) -> HTTPException | None:
    if principal.role in allowed:
        return None
    return HTTPException(status.HTTP_403_FORBIDDEN,
                         f"role {principal.role!r} may not do this; needs one of {', '.join(sorted(allowed))}")


# The caller of a route that needs to know who it is (for the audit log), by the roles allowed.
Admin = Annotated[Principal, Depends(require_role())]
Operator = Annotated[Principal, Depends(require_role("operator"))]
OrderIssuer = Annotated[Principal, Depends(require_role("operator", "case-system"))]
# Readers of cases, payments and orders; a case-system token sees its own only (hub/api/scope.py).
CaseReader = Annotated[Principal, Depends(require_role("operator", "auditor", "case-system"))]
