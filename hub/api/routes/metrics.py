"""Prometheus metrics at /metrics: counters kept by the ingest and delivery workers, and
gauges read from the database at scrape time (unlinked payments, agents online, webhook
backlog and dead letters)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from hub.api.deps import Db
from hub.delivery import metrics as delivery_metrics
from hub.ingest import metrics as ingest_metrics

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}})
def metrics(db: Db) -> Response:
    with db.connect() as conn:
        ingest_metrics.refresh_gauges(conn)
        delivery_metrics.refresh_gauges(conn)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
