"""How the API answers a refusal: by the error's kind (hub/errors.py), never by its message.

    HubError subclass    → its kind's status, body `exc.body()` ({"detail": "…"} unless it adds more)
    invalid request body → 422 naming every bad field by its path, e.g. "body.amount_minor"

FastAPI reads and parses a request's body before it runs the route's dependencies, so a
broken body would be answered 422 before the token is looked at, telling a stranger
about the route's fields.  An invalid request to a route that needs a token is
therefore answered as its credentials deserve first: 401 without a valid token, 403
for a role the route does not admit, and only then 422.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from hub.api.deps import identify, role_refusal
from hub.errors import HubError


async def refused(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    return JSONResponse(status_code=exc.status, content=exc.body())


def _allowed_roles(dependant: Dependant) -> frozenset[str] | None:
    """The roles the route's role checks admit (every check must pass), or None for a public route."""
    allowed: frozenset[str] | None = None
    for sub in dependant.dependencies:
        roles = getattr(sub.call, "allowed_roles", None)
        if roles is not None:
            allowed = roles if allowed is None else allowed & roles
        inner = _allowed_roles(sub)
        if inner is not None:
            allowed = inner if allowed is None else allowed & inner
    return allowed


def _credential_refusal(request: Request) -> HTTPException | None:
    route = request.scope.get("route")
    allowed = _allowed_roles(route.dependant) if isinstance(route, APIRoute) else None
    if allowed is None:
        return None
    principal, refusal = identify(request, request.app.state.db)
    return refusal if principal is None else role_refusal(principal, allowed)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    refusal = await run_in_threadpool(_credential_refusal, request)
    if refusal is not None:
        return JSONResponse(status_code=refusal.status_code, content={"detail": refusal.detail},
                            headers=refusal.headers)
    errors = [{"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
              for error in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": "the request is invalid", "errors": errors})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HubError, refused)
    app.add_exception_handler(RequestValidationError, invalid_request)
