"""Prometheus metrics at /metrics: counters kept by the ingest and delivery workers, and
gauges read from the database at scrape time (unlinked payments, agents online, webhook
backlog and dead letters, end-of-day mismatches).

The figures say how busy each office and case system is, so they are not public: a
scraper presents an API token (role metrics, auditor or admin), or, with `[api]
metrics_access = "loopback"`, scrapes from the hub's own machine without one.  A console
user's browser may read them as it reads the dashboard (permission dashboard.read), but
only a user of every office: the figures count every office, the dashboard only the user's.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from hub.api.deps import Db, HubSettings, caller_refusal, identify
from hub.delivery import metrics as delivery_metrics
from hub.finance.eod import metrics as eod_metrics
from hub.ingest import metrics as ingest_metrics

router = APIRouter(tags=["metrics"])
READERS = frozenset({"admin", "auditor", "metrics"})
PERMISSION = "dashboard.read"


def _from_this_machine(request: Request) -> bool:
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def may_scrape(request: Request, settings: HubSettings, db: Db) -> None:
    if settings.metrics_access == "loopback" and _from_this_machine(request):
        return
    principal, refusal = identify(request, db)
    if refusal is not None:
        raise refusal
    refusal = caller_refusal(principal, READERS, PERMISSION)
    if refusal is not None:
        raise refusal
    if principal.user is not None and not principal.scope.is_everything:
        raise HTTPException(403, "the metrics count every office: a user of named offices reads their figures "
                                 "on the dashboard")


Scraper = Annotated[None, Depends(may_scrape)]


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}})
def metrics(db: Db, _scraper: Scraper) -> Response:
    with db.connect() as conn:
        ingest_metrics.refresh_gauges(conn)
        delivery_metrics.refresh_gauges(conn)
        eod_metrics.refresh_gauges(conn)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
