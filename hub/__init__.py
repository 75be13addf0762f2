"""The hub: MQTT ingest, storage, linking payments to cases, webhook delivery,
the REST API, enrollment and keys.  Imports `protocol` only, never `agent`.
"""
