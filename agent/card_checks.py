"""Card payments only for the service steps the hub activated for this office, offline too.

A payment is for the service steps of its catalogue positions: each position code is
looked up in the cached catalogue (agent/sync/caches.py) for the price list it belongs to,
and the price list's code is the service step.  A payment taken from a payment order
(cashier, kiosk) is for the steps of the order's positions, as its signed code lists them
(kept with the order when it was scanned, agent/store/orders.py).

The card tender is refused (`CARD_NOT_ACTIVE`) when the payment is for a step that is not
in the set the hub last published (agent/store/card_activations.py), when the desk has
never heard that set (`CARD_NOT_HEARD`), or when the office's card contract ended before
today (`CARD_CONTRACT_ENDED`).  A payment naming no catalogue step (a pagoPA notice, a
bank transfer code, an order without positions) is not an application's business: the
desk's own `agent.tenders` setting decides, as before.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from agent.intake import Refusal
from agent.store import Store, card_activations

CARD_NOT_ACTIVE = "card_not_active"
CARD_NOT_HEARD = "card_not_heard"
CARD_CONTRACT_ENDED = "card_contract_ended"
CARD_REFUSALS = (CARD_NOT_ACTIVE, CARD_NOT_HEARD, CARD_CONTRACT_ENDED)


def steps_of(store: Store, codes: Iterable[str]) -> list[str]:
    """The service steps (price list codes) of these catalogue position codes, in catalogue order.

    A code that several price lists share counts for each of them; a code the cached
    catalogue does not know names no step.  Read in SQLite (json_extract) rather than by
    loading the catalogue: a desk asks before every tender step."""
    wanted = sorted({c for c in codes if isinstance(c, str) and c})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):        # well within SQLite's limit of bound values
        chunk = wanted[start:start + 500]
        rows = store.query("SELECT json_extract(position, '$.price_list') AS step, "
                           "MIN(json_extract(position, '$.ord')) AS ord FROM catalogue "
                           f"WHERE json_extract(position, '$.code') IN ({', '.join('?' * len(chunk))}) "
                           "AND json_extract(position, '$.price_list') IS NOT NULL GROUP BY step", chunk)
        for row in rows:
            found[row["step"]] = min(found.get(row["step"], row["ord"] or 0), row["ord"] or 0)
    return sorted(found, key=lambda step: (found[step], step))


def order_position_codes(store: Store, order_id: str | None) -> list[str]:
    """The position codes of a payment order scanned at this desk (its signed code lists them)."""
    if not order_id:
        return []
    rows = store.query("SELECT data FROM orders WHERE order_id = ?", (order_id,))
    if not rows:
        return []
    try:
        fields = json.loads(rows[0]["data"]).get("fields") or {}
    except (ValueError, AttributeError):
        return []
    codes = fields.get("positions") or []
    return [c for c in codes if isinstance(c, str)]


def refusal(store: Store, codes: Iterable[str], today: dt.date | None = None) -> Refusal | None:
    """Why the card tender may not be offered for a payment of these position codes, or None."""
    steps = steps_of(store, codes)
    if not steps:
        return None
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if card_activations.heard_at(store) is None:
        return Refusal(CARD_NOT_HEARD, "positions", "card payments are not taken yet: this desk has not heard from "
                       "the hub which service steps take cards (it is told once it connects)",
                       {"service": ", ".join(steps)})
    active = card_activations.active(store)
    for step in steps:
        entry: dict[str, Any] | None = active.get(step)
        if entry is None:
            return Refusal(CARD_NOT_ACTIVE, "positions", f"card payments are not active for service step {step} "
                           "at this office; take cash, or apply for card payments at the hub", {"service": step})
        ends = entry.get("contract_valid_to")
        if ends and today.isoformat() > ends:
            return Refusal(CARD_CONTRACT_ENDED, "positions", f"the office's card contract ended on {ends}: no card "
                           f"payments for service step {step}", {"service": step, "date": ends})
    return None
