"""Prometheus metrics at /metrics: ingest (counters kept by the worker) and gauges
read from the database at scrape time (unlinked payments, agents online, webhook
backlog and dead letters when hub-delivery is installed)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest
from sqlalchemy import func, select

from hub.api.deps import get_db
from hub.context import optional_module
from hub.linking.search import unlinked_count
from hub.store.db import Database
from hub.store.tables import agents

router = APIRouter(tags=["metrics"])

UNLINKED = Gauge("counterpay_hub_unlinked_payments", "Payments waiting in the unlinked queue")
AGENTS_ONLINE = Gauge("counterpay_hub_agents_online", "Agents whose latest birth is live")
AGENTS_KNOWN = Gauge("counterpay_hub_agents_known", "Agents the hub has heard of")


@router.get("/metrics", response_class=Response)
def metrics(db: Database = Depends(get_db)) -> Response:
    with db.connect() as conn:
        UNLINKED.set(unlinked_count(conn))
        AGENTS_ONLINE.set(conn.execute(select(func.count()).select_from(agents).where(agents.c.online)).scalar_one())
        AGENTS_KNOWN.set(conn.execute(select(func.count()).select_from(agents)).scalar_one())
        delivery = optional_module("hub.delivery.metrics")
        if delivery is not None and hasattr(delivery, "refresh_gauges"):
            delivery.refresh_gauges(conn)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
