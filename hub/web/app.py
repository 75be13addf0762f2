"""`install_console(app)`: the web console on the hub's FastAPI app, at `/` (static files at /static).

The API keeps /api/v1 and /docs; the console's pages are left out of the OpenAPI schema.
One page is public, the citizens' /self-service (hub/web/routes_selfservice.py).
A request without a session is sent to /login (an htmx request gets `HX-Redirect`); a
request without its CSRF token, or beyond the user's role, gets a readable 403 page.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hub.web import (routes_accounts, routes_agents, routes_audit, routes_auth, routes_card_payments,
                     routes_case_systems, routes_catalogue, routes_dashboard, routes_deliveries, routes_enrollment,
                     routes_eod, routes_exports, routes_mail,
                     routes_notices, routes_orders, routes_orders_new, routes_payments, routes_reconciliation,
                     routes_selfservice, routes_tokens, routes_users)
from hub.web.auth import CsrfRefused, LoginRequired, NotPermitted, optional_session
from hub.web.templating import render

STATIC = Path(__file__).parent / "static"


async def _login_required(request: Request, _exc: Exception) -> Response:
    target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    return render(request, "refused.html", session=optional_session(request), status_code=403,
                  reason="refused.csrf")


async def _not_permitted(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotPermitted)
    return render(request, "refused.html", session=optional_session(request), status_code=403,
                  reason="refused.permission")


def install_console(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="console-static")
    app.include_router(routes_auth.router)
    app.include_router(routes_selfservice.router)      # public: the citizens' page, no login
    app.include_router(routes_dashboard.router)
    app.include_router(routes_agents.router)
    app.include_router(routes_deliveries.router)
    app.include_router(routes_eod.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_catalogue.router)
    app.include_router(routes_accounts.router)
    app.include_router(routes_card_payments.router)
    app.include_router(routes_users.router)
    app.include_router(routes_tokens.router)
    app.include_router(routes_enrollment.router)
    app.include_router(routes_case_systems.router)
    app.include_router(routes_payments.router)
    app.include_router(routes_exports.router)
    app.include_router(routes_mail.router)
    app.include_router(routes_reconciliation.router)
    app.include_router(routes_orders_new.router)       # before routes_orders: /orders/new is no order id
    app.include_router(routes_notices.router)          # and /orders/notices.zip neither
    app.include_router(routes_orders.router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(NotPermitted, _not_permitted)
