"""Prometheus metrics at /metrics: counters kept by the ingest and delivery workers, and
gauges read from the database at scrape time (unlinked payments, agents online, webhook
backlog and dead letters, end-of-day mismatches).

The figures say how busy each office and case system is, so they are not public: a
scraper presents an API token (role metrics, auditor or admin), or, with `[api]
metrics_access = "loopback"`, scrapes from the hub's own machine without one.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from hub.api.deps import Db, HubSettings, identify, role_refusal
from hub.delivery import metrics as delivery_metrics
from hub.finance.eod import metrics as eod_metrics
from hub.ingest import metrics as ingest_metrics

router = APIRouter(tags=["metrics"])
READERS = frozenset({"admin", "auditor", "metrics"})


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
    refusal = role_refusal(principal, READERS)
    if refusal is not None:
        raise refusal


Scraper = Annotated[None, Depends(may_scrape)]


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}})
def metrics(db: Db, _scraper: Scraper) -> Response:
    with db.connect() as conn:
        ingest_metrics.refresh_gauges(conn)
        delivery_metrics.refresh_gauges(conn)
        eod_metrics.refresh_gauges(conn)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
