"""Every router of the hub's API, in the order they are mounted (one per resource)."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.routes import (accounts, activation, agents, audit, cases, catalogue, eod, exports, metrics, orders, payments,
                             reconciliation, tokens, verification)
from hub.casesys import routes as case_systems
from hub.delivery import routes as deliveries
from hub.pki import routes as enrollment

ROUTERS: tuple[APIRouter, ...] = (
    accounts.router,
    activation.router,
    agents.router,
    audit.router,
    cases.router,
    catalogue.router,
    eod.router,
    exports.router,
    metrics.router,
    orders.router,
    payments.router,
    reconciliation.router,
    tokens.router,
    verification.router,
    deliveries.router,
    case_systems.router,
    enrollment.router,
)
