"""The service steps where this office's desks take cards, as the hub last said, kept offline.

The hub publishes the office's whole set each time (hub/activation/feed.py), so `replace`
swaps it in one transaction with the time of the document it came from (`heard_at`),
which an older document may not overwrite.  A desk that never heard one has no set:
`heard_at` is None.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from agent.store import Store

HEARD_SETTING = "card_activation_heard_at"


def replace(store: Store, entries: Iterable[dict[str, Any]], heard_at: str) -> int:
    rows = [(e["service"], e["since"], e.get("contract_valid_to")) for e in entries]
    with store.transaction() as db:
        db.execute("DELETE FROM card_activations")
        db.conn.executemany("INSERT INTO card_activations(service, since, contract_valid_to) VALUES (?, ?, ?)", rows)
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (HEARD_SETTING, json.dumps(heard_at)))
    return len(rows)


def heard_at(store: Store) -> str | None:
    return store.get_setting(HEARD_SETTING)


def active(store: Store) -> dict[str, dict[str, Any]]:
    """Every active service step by its code."""
    return {row["service"]: row for row in store.query("SELECT * FROM card_activations")}
