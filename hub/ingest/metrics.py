"""Prometheus metrics of the ingest (default registry, served at /metrics), and the gauges of
what it stored (unlinked payments, agents online and known), refreshed at scrape time."""

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Connection

from hub.ingest.agents import agent_counts
from hub.linking.search import unlinked_count

EVENTS = Counter("counterpay_hub_ingest_events_total", "Envelopes accepted from agents", ["type", "outcome"])
REJECTED = Counter("counterpay_hub_ingest_rejected_total", "MQTT messages dropped, by reason", ["reason"])
ACK_LATENCY = Histogram("counterpay_hub_ack_latency_seconds", "From receipt of an event to its ack being published",
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
BATCH_SIZE = Histogram("counterpay_hub_ingest_batch_size", "Messages committed per transaction",
                       buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000))
REPLAYS = Counter("counterpay_hub_replay_commands_total", "Replay commands sent for sequence gaps")

# Gauges read from the database when /metrics is scraped.
UNLINKED = Gauge("counterpay_hub_unlinked_payments", "Payments waiting in the unlinked queue")
AGENTS_ONLINE = Gauge("counterpay_hub_agents_online", "Agents whose latest birth is live")
AGENTS_KNOWN = Gauge("counterpay_hub_agents_known", "Agents the hub has heard of")


def refresh_gauges(conn: Connection) -> None:
    UNLINKED.set(unlinked_count(conn))
    online, known = agent_counts(conn)
    AGENTS_ONLINE.set(online)
    AGENTS_KNOWN.set(known)
