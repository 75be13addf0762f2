"""The orders the hub told this desk to refuse (cancelled, or changed since printed), kept offline.

The hub publishes its office's whole set each time, so `replace` swaps it in one
transaction, with the time of the document it came from (`heard_at`), which an older
document may not overwrite.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from agent.store import Store

HEARD_SETTING = "order_state_heard_at"


def compact(reference: str | None) -> str | None:
    """A reference as printed or typed ('RF18 CP00 …') in the one form it is looked up by."""
    return "".join(reference.split()).upper() if isinstance(reference, str) and reference.strip() else None


def replace(store: Store, entries: Iterable[dict[str, Any]], heard_at: str) -> int:
    rows = [(e["order_id"], e["state"], e["at"], compact(e.get("reference")), e.get("reason"),
             e.get("amount_minor"), e.get("currency")) for e in entries]
    with store.transaction() as db:
        db.execute("DELETE FROM order_states")
        db.conn.executemany("INSERT INTO order_states(order_id, state, at, reference, reason, amount_minor, "
                            "currency) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (HEARD_SETTING, json.dumps(heard_at)))
    return len(rows)


def heard_at(store: Store) -> str | None:
    """The time of the hub's document the desk holds (None: it never heard one)."""
    return store.get_setting(HEARD_SETTING)


def find(store: Store, *, order_id: str | None = None, reference: str | None = None) -> dict[str, Any] | None:
    """The entry of the order named by its id or by its reference, if the hub listed it."""
    if order_id:
        rows = store.query("SELECT * FROM order_states WHERE order_id = ?", (order_id.strip(),))
        if rows:
            return rows[0]
    reference = compact(reference)
    if reference:
        rows = store.query("SELECT * FROM order_states WHERE reference = ? OR order_id = ?", (reference, reference))
        if rows:
            return rows[0]
    return None
