"""Shared parts of the ingest attack tests: the worker on a real mosquitto, and a
scan of every table the hub has for a piece of text."""

from __future__ import annotations

import importlib
import pkgutil
import uuid

import pytest
from sqlalchemy import select

import hub.store
from hub.ingest.worker import IngestWorker
from hub.store.metadata import metadata

for _module in pkgutil.iter_modules(hub.store.__path__):
    if _module.name.startswith("tables"):
        importlib.import_module(f"hub.store.{_module.name}")


@pytest.fixture
def worker(hub_context, mosquitto):
    ingest = IngestWorker(hub_context, host="127.0.0.1", port=mosquitto.port,
                          client_id=f"hub-{uuid.uuid4().hex[:6]}", clean_start=True,
                          session_expiry_s=0, gap_grace_s=0.3).start()
    yield ingest
    ingest.stop()


def tables_holding(db, *needles: str) -> list[str]:
    """Every table (and row) whose text holds one of `needles`."""
    found = []
    with db.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                text = " ".join(str(value) for value in row.values())
                if any(needle in text for needle in needles):
                    found.append(f"{table.name}: {text[:120]}")
    return found
