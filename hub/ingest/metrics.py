"""Prometheus metrics of the ingest (default registry, served at /metrics), and the gauges of
what it stored (unlinked payments, agents online and known), refreshed at scrape time."""

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Connection

from hub.ingest.agents import agent_counts
from hub.ingest.refusals import CARD_NUMBER, OFFICE_MISMATCH, PAYMENT_CONFLICT, STORE_FAILED
from hub.linking.search import unlinked_count

EVENTS = Counter("counterpay_hub_ingest_events_total", "Envelopes accepted from agents", ["type", "outcome"])
REJECTED = Counter("counterpay_hub_ingest_rejected_total", "MQTT messages dropped, by reason", ["reason"])
ACK_LATENCY = Histogram("counterpay_hub_ack_latency_seconds", "From receipt of an event to its ack being published",
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
BATCH_SIZE = Histogram("counterpay_hub_ingest_batch_size", "Messages committed per transaction",
                       buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000))
REPLAYS = Counter("counterpay_hub_replay_commands_total", "Replay commands sent for sequence gaps")

# Events acked `rejected` (hub/ingest/refusals.py), one counter per reason.
CARD_NUMBERS_REFUSED = Counter("counterpay_hub_ingest_card_numbers_refused_total",
                               "Events refused for a card number in a free-text field")
OFFICE_MISMATCHES = Counter("counterpay_hub_ingest_office_mismatches_total",
                            "Payments refused for naming another office than the agent's enrolled one")
PAYMENT_CONFLICTS = Counter("counterpay_hub_ingest_payment_conflicts_total",
                            "Second versions of a stored payment with another body, kept apart")
QUARANTINED = Counter("counterpay_hub_ingest_quarantined_total",
                      "Events the store could not hold even alone, quarantined and refused")
_REFUSED = {CARD_NUMBER: CARD_NUMBERS_REFUSED, OFFICE_MISMATCH: OFFICE_MISMATCHES,
            PAYMENT_CONFLICT: PAYMENT_CONFLICTS, STORE_FAILED: QUARANTINED}

# Gauges read from the database when /metrics is scraped.
UNLINKED = Gauge("counterpay_hub_unlinked_payments", "Payments waiting in the unlinked queue")
AGENTS_ONLINE = Gauge("counterpay_hub_agents_online", "Agents whose latest birth is live")
AGENTS_KNOWN = Gauge("counterpay_hub_agents_known", "Agents the hub has heard of")


def count_refused(refused: Mapping[str, int]) -> None:
    """Count events newly refused, by reason (a re-sent refused event is not counted again)."""
    for reason, count in refused.items():
        _REFUSED[reason].inc(count)


def refresh_gauges(conn: Connection) -> None:
    UNLINKED.set(unlinked_count(conn))
    online, known = agent_counts(conn)
    AGENTS_ONLINE.set(online)
    AGENTS_KNOWN.set(known)
