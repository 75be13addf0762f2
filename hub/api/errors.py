"""How the API answers a refusal: by the error's kind (hub/errors.py), never by its message.

    HubError subclass    → its kind's status, body `exc.body()` ({"detail": "…"} unless it adds more)
    invalid request body → 422 naming every bad field by its path, e.g. "body.amount_minor"
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hub.errors import HubError


async def refused(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    return JSONResponse(status_code=exc.status, content=exc.body())


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
              for error in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": "the request is invalid", "errors": errors})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HubError, refused)
    app.add_exception_handler(RequestValidationError, invalid_request)
