"""Injected dependencies: settings, the database, the hub context, and role-checked callers.

    @router.get("/orders", dependencies=[Depends(require_role("operator", "auditor"))])
    def list_orders(db: Db, limit: Limit = 100): ...

    @router.post("/orders")
    def create(principal: Operator, db: Db): ...

Admin may do everything; other roles only what a route names.
Clients send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.security import ROLES, Principal, authenticate
from hub.config import Settings
from hub.context import HubContext
from hub.store.db import Database

_bearer = HTTPBearer(auto_error=False, description="An API token created by an admin")


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


def get_principal(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                  db: Db) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API token is required: Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    with db.connect() as conn:
        principal = authenticate(conn, credentials.credentials)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the API token is unknown or revoked",
                            headers={"WWW-Authenticate": "Bearer"})
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
    """The caller of `request` by its bearer token, or why it is refused (401)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        credentials = (HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())
                       if scheme and token.strip() else None)
        return get_principal(credentials, db), None
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
