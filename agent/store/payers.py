"""The desk's payer database: who paid here before, found again by name or id.

A payer is remembered when a payment naming them is committed (inside that
transaction), keyed by their id, or by their folded name when the payer has no id;
the cashier's search matches folded names and ids.
"""

from __future__ import annotations

from agent.store import Store

SEARCH_LIMIT = 50


def remember(store: Store, payer_id: str | None, name: str | None, seen_at: str) -> None:
    """Record or refresh a payer; joins the caller's transaction if there is one."""
    if not (payer_id or name):
        return
    key = payer_id or f"name:{name.casefold()}"
    shown = name or key
    with store.transaction() as db:
        db.execute("INSERT INTO payers(id, name, name_folded, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO "
                   "UPDATE SET name = excluded.name, name_folded = excluded.name_folded, "
                   "last_seen = excluded.last_seen", (key, shown, shown.casefold(), seen_at))


def search(store: Store, text: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Payers whose name (case-folded) or id contains `text`, most recently seen first."""
    needle = f"%{text.casefold().strip()}%"
    return store.query("SELECT name, id, last_seen FROM payers WHERE name_folded LIKE ? OR id LIKE ? "
                       "ORDER BY last_seen DESC LIMIT ?", (needle, f"%{text.strip()}%", limit))
