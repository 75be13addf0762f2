"""`create_app(settings)`: the hub's FastAPI application, OpenAPI at /docs.

Routers come from every module of `hub.api.routes` (one per resource), plus `hub.delivery.routes` and `hub.pki.routes`
when those parts are installed.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hub.api import routes
from hub.config import Settings
from hub.context import HubContext, load_signing_key, optional_module
from hub.store.db import Database

log = logging.getLogger(__name__)

OPTIONAL_ROUTERS = ("hub.delivery.routes", "hub.pki.routes")   # delivery includes hub.casesys.routes


def create_app(settings: Settings, *, context: HubContext | None = None) -> FastAPI:
    if context is None:
        context = context_from_settings(settings)
    app = FastAPI(title="counterpay hub", version="1",
                  description="Payments from counters, linked to their cases and orders.")
    app.state.settings = settings
    app.state.db = context.db
    app.state.hub = context
    for module_info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{module_info.name}")
        if hasattr(module, "router"):
            app.include_router(module.router)
    for name in OPTIONAL_ROUTERS:
        module = optional_module(name)
        if module is not None:
            app.include_router(module.router)

    @app.exception_handler(RequestValidationError)
    async def _invalid_body(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # 422 with every bad field named by its path, e.g. "body.amount_minor".
        errors = [{"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
                  for error in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": "the request is invalid", "errors": errors})

    return app


def context_from_settings(settings: Settings, database: Database | None = None) -> HubContext:
    from protocol.keys import SigningKey
    database = database or Database.open(settings.database_url)
    order_key = load_signing_key(settings.order_key_file) if settings.order_key_file else SigningKey.generate()
    event_key = load_signing_key(settings.event_key_file) if settings.event_key_file else SigningKey.generate()
    return HubContext(settings=settings, db=database, order_key=order_key, event_key=event_key)
