"""Prometheus metrics of the ingest (default registry, served at /metrics)."""

from prometheus_client import Counter, Histogram

EVENTS = Counter("counterpay_hub_ingest_events_total", "Envelopes accepted from agents", ["type", "outcome"])
REJECTED = Counter("counterpay_hub_ingest_rejected_total", "MQTT messages dropped, by reason", ["reason"])
ACK_LATENCY = Histogram("counterpay_hub_ack_latency_seconds", "From receipt of an event to its ack being published",
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
BATCH_SIZE = Histogram("counterpay_hub_ingest_batch_size", "Messages committed per transaction",
                       buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000))
REPLAYS = Counter("counterpay_hub_replay_commands_total", "Replay commands sent for sequence gaps")
