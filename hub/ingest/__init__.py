"""MQTT ingest: check, store exactly once, ack after commit, track presence and gaps."""
