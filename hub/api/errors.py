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

from hub.api.deps import identify
from hub.errors import HubError


async def refused(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    return JSONResponse(status_code=exc.status, content=exc.body())


def _caller_checks(dependant: Dependant) -> list:
    """The route's caller checks (hub/api/deps.py require_role), all of which must pass; none for a public route."""
    checks = []
    for sub in dependant.dependencies:
        if getattr(sub.call, "refusal", None) is not None:
            checks.append(sub.call.refusal)
        checks.extend(_caller_checks(sub))
    return checks


def _credential_refusal(request: Request) -> HTTPException | None:
    route = request.scope.get("route")
    checks = _caller_checks(route.dependant) if isinstance(route, APIRoute) else []
    if not checks:
        return None
    principal, refusal = identify(request, request.app.state.db)
    if principal is None:
        return refusal
    return next((refused for check in checks if (refused := check(principal)) is not None), None)


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
