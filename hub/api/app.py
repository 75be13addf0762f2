"""`create_app(settings)`: the hub's FastAPI application, OpenAPI at /docs, the web console at /.

The routers it mounts are listed in hub/api/routers.py; refusals are answered by their
kind (hub/api/errors.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from protocol.keys import SigningKey
from hub.api.errors import install_error_handlers
from hub.api.routers import ROUTERS
from hub.config import Settings
from hub.context import HubContext, load_signing_key
from hub.store.db import Database
from hub.web.app import install_console


def create_app(settings: Settings, *, context: HubContext | None = None) -> FastAPI:
    if context is None:
        context = context_from_settings(settings)
    app = FastAPI(title="counterpay hub", version="1",
                  description="Payments from counters, linked to their cases and orders.")
    app.state.settings = settings
    app.state.db = context.db
    app.state.hub = context
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    install_console(app)
    return app


def context_from_settings(settings: Settings, database: Database | None = None) -> HubContext:
    database = database or Database.open(settings.database_url)
    order_key = load_signing_key(settings.order_key_file) if settings.order_key_file else SigningKey.generate()
    event_key = load_signing_key(settings.event_key_file) if settings.event_key_file else SigningKey.generate()
    return HubContext(settings=settings, db=database, order_key=order_key, event_key=event_key)
