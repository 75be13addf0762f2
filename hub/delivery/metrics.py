"""Prometheus metrics of webhook delivery (on the default registry, served at /metrics).

counterpay_webhook_attempts_total{outcome}   every attempt: delivered | retry | gone | dead | lease_lost
counterpay_webhook_delivered_total           confirmations a case system accepted
counterpay_webhook_dead_letters_made_total   confirmations given up on (after the retry window)
counterpay_webhook_backlog                   confirmations waiting to be delivered (pending)
counterpay_webhook_dead_letters              dead letters not replayed yet
counterpay_webhook_unrouted                  confirmations no case system matches
counterpay_webhook_delivery_seconds          queued → accepted, for accepted confirmations
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Connection, func, select

from hub.store.tables_delivery import deliveries
from protocol.domain import DeliveryStatus

ATTEMPTS = Counter("counterpay_webhook_attempts", "Webhook delivery attempts by outcome", ["outcome"])
DELIVERED = Counter("counterpay_webhook_delivered", "Confirmations accepted by a case system")
DEAD_LETTERED = Counter("counterpay_webhook_dead_letters_made", "Confirmations moved to the dead-letter list")
BACKLOG = Gauge("counterpay_webhook_backlog", "Confirmations waiting to be delivered")
DEAD_LETTERS = Gauge("counterpay_webhook_dead_letters", "Dead letters waiting for a replay")
UNROUTED = Gauge("counterpay_webhook_unrouted", "Confirmations no case system matches")
DELIVERY_SECONDS = Histogram("counterpay_webhook_delivery_seconds", "Time from queued to accepted",
                             buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300, 3600, 86400))


def refresh_gauges(conn: Connection) -> dict[str, int]:
    # Only the small states: counting delivered rows would read the whole history every second.
    small = (DeliveryStatus.PENDING, DeliveryStatus.DEAD, DeliveryStatus.UNROUTED)
    counts = dict(conn.execute(select(deliveries.c.status, func.count())
                               .where(deliveries.c.status.in_(small))
                               .group_by(deliveries.c.status)).all())
    BACKLOG.set(counts.get(DeliveryStatus.PENDING, 0))
    DEAD_LETTERS.set(counts.get(DeliveryStatus.DEAD, 0))
    UNROUTED.set(counts.get(DeliveryStatus.UNROUTED, 0))
    return counts
