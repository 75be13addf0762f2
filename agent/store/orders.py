"""Payment orders seen at this desk: a signed cp-order code is kept once it checks out."""

from __future__ import annotations

import json
from typing import Any

from agent.store import Store


def remember(store: Store, order_id: str, data: dict[str, Any], seen_at: str) -> None:
    """Keep the order's checked content; a second scan of the same order replaces the first."""
    with store.transaction() as db:
        db.execute("INSERT OR REPLACE INTO orders(order_id, data, seen_at) VALUES (?, ?, ?)",
                   (order_id, json.dumps(data, default=str), seen_at))
