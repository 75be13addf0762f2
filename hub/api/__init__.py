"""The hub's REST API (FastAPI): routes by resource, storage and auth injected."""
