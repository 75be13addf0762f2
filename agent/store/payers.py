"""The desk's payer database: who paid here, or was named by an order or case seen here, found again offline.

A payer is remembered when a payment naming them is committed (inside that transaction),
when a signed payment order of the hub naming them is scanned (agent/service.py
`check_code`: the hub's orders bring their payers with them, no other traffic needed),
and when the hub answers a case lookup.  They are keyed by their id, or by their folded
name when they have none.  The cashier's search matches

* the name without case, accents or strokes ("lukasz" finds "Łukasz"),
* the id as stored, and the id or fiscal code in its compact form: a personal code or
  codice fiscale typed with or without spaces and dashes ("010180-12345" = "01018012345").

The most recently seen come first, each with the last order it was seen with.
"""

from __future__ import annotations

from agent.store import Store
from agent.store.folding import compact_id, fold_name

SEARCH_LIMIT = 50


def remember(store: Store, payer_id: str | None, name: str | None, seen_at: str, *,
             order_id: str | None = None) -> None:
    """Record or refresh a payer; joins the caller's transaction if there is one."""
    payer_id = (payer_id or "").strip() or None
    name = " ".join((name or "").split()) or None
    if not (payer_id or name):
        return
    key = payer_id or f"name:{fold_name(name)}"
    shown = name or key
    with store.transaction() as db:
        # A later sighting without a name (an order code with only the id) keeps the name known.
        db.execute("INSERT INTO payers(id, name, name_folded, last_seen, id_compact, last_order_id) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                   "name = CASE WHEN ? THEN excluded.name ELSE payers.name END, "
                   "name_folded = CASE WHEN ? THEN excluded.name_folded ELSE payers.name_folded END, "
                   "last_seen = max(payers.last_seen, excluded.last_seen), "
                   "last_order_id = COALESCE(excluded.last_order_id, payers.last_order_id)",
                   (key, shown, fold_name(shown), seen_at, compact_id(payer_id) if payer_id else "", order_id,
                    name is not None, name is not None))


def search(store: Store, text: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Payers whose folded name, id or compact id (fiscal code) contains `text`, most recently seen first."""
    typed = text.replace("\x00", "").strip()      # SQLite's LIKE would end the pattern at a NUL
    if not typed:
        return []
    escaped = [value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
               for value in (fold_name(typed), typed, compact_id(typed))]
    return store.query("SELECT name, CASE WHEN id LIKE 'name:%' THEN NULL ELSE id END AS id, last_seen, "
                       "last_order_id FROM payers WHERE (? AND name_folded LIKE ? ESCAPE '\\') OR "
                       "(id NOT LIKE 'name:%' AND (id LIKE ? ESCAPE '\\' OR (? AND id_compact LIKE ? ESCAPE '\\'))) "
                       "ORDER BY last_seen DESC, name LIMIT ?",
                       # A text of marks or separators only has no folded or compact form: it matches nothing by it.
                       (bool(escaped[0]), f"%{escaped[0]}%", f"%{escaped[1]}%", bool(escaped[2]), f"%{escaped[2]}%", limit))
