"""What the hub publishes retained on cp/v1/broadcast/…, cached in the store for offline use.

Catalogue (`topics.CATALOGUE`): the hub's published version as canonical JSON
(hub.catalogue.service.wire_document):
    {"version": 3, "published_at": "…", "currency": "EUR", "price_lists": [{"code": "VEH",
      "name": "…", "legal_acts": […], "positions": [{"code": "REG-1", "parent": null,
      "name": "Vehicle registration", "unit": "piece", "unit_price_minor": 4500,
      "vat_rate_bp": 0, "legal_act": "…", "mandatory": true, "tenders": ["card", "cash"]}]}]}
A flat {"version": …, "positions": [{… "unit_minor", "parent_code" …}]} is read too.
The hub publishes its catalogue versions as price lists (hub.catalogue.model.Catalogue):
    {"version": 3, "currency": "EUR", "price_lists": [{"code": "DEMO", "positions": [{"code": "REG-1",
      "parent": null, "name": "…", "unit": "piece", "unit_price_minor": 4500, "vat_rate_bp": 0, …}]}]}
which is flattened to the positions above (`parent` → parent_code, `unit_price_minor` →
unit_minor; a pure parent without a price gets 0).
Key directory (`topics.KEYS`): `KeyDirectory.to_json()`.
A bad document is refused with a reason and the previous cache stays.
"""

from __future__ import annotations

import json
from typing import Any

from protocol.domain import Tender
from protocol.keys import KeyDirectory, KeyProblem

from agent.store import Store

KEYS_SETTING = "key_directory"
CATALOGUE_VERSION_SETTING = "catalogue_version"


class CacheError(ValueError):
    """A retained broadcast document was refused; the message says why."""


def _position(item: Any, index: int, price_list: dict | None = None) -> dict:
    if not isinstance(item, dict):
        raise CacheError(f"catalogue position {index} is not an object")
    code, name = item.get("code"), item.get("name")
    unit_minor = item.get("unit_price_minor", item.get("unit_minor"))
    if unit_minor is None and "unit_price_minor" in item:
        unit_minor = 0            # a parent position: its price is in its sub-positions
    if not isinstance(code, str) or not code or len(code) > 64:
        raise CacheError(f"catalogue position {index}: 'code' must be a text of 1-64 characters")
    if not isinstance(name, str):
        raise CacheError(f"catalogue position {code}: 'name' must be a text")
    if isinstance(unit_minor, bool) or not isinstance(unit_minor, int) or unit_minor < 0:
        raise CacheError(f"catalogue position {code}: the unit price must be a whole number of minor units >= 0")
    vat = item.get("vat_rate_bp", 0)
    if isinstance(vat, bool) or not isinstance(vat, int) or not 0 <= vat <= 10_000:
        raise CacheError(f"catalogue position {code}: 'vat_rate_bp' must be 0-10000")
    tenders = item.get("tenders", list(Tender))
    if not isinstance(tenders, list) or any(t not in tuple(Tender) for t in tenders):
        raise CacheError(f"catalogue position {code}: 'tenders' must list 'card' and/or 'cash'")
    legal_act = item.get("legal_act")
    if legal_act is None and price_list and isinstance(price_list.get("legal_acts"), list) and price_list["legal_acts"]:
        legal_act = str(price_list["legal_acts"][0])
    return {"code": code, "name": name, "parent_code": item.get("parent", item.get("parent_code")),
            "unit": str(item.get("unit", "")), "unit_minor": unit_minor, "vat_rate_bp": vat,
            "mandatory": bool(item.get("mandatory", False)), "legal_act": legal_act, "tenders": tenders,
            "price_list": price_list.get("code") if price_list else None,
            "price_list_name": price_list.get("name") if price_list else None}


def _positions(document: Any) -> list[dict]:
    if isinstance(document, dict) and isinstance(document.get("price_lists"), list):
        out = []
        for list_index, price_list in enumerate(document["price_lists"]):
            if not isinstance(price_list, dict) or not isinstance(price_list.get("positions"), list):
                raise CacheError(f"price list {list_index} has no 'positions' list")
            out += [_position(item, i, price_list) for i, item in enumerate(price_list["positions"])]
        return out
    if isinstance(document, dict) and isinstance(document.get("positions"), list):
        return [_position(item, i) for i, item in enumerate(document["positions"])]
    raise CacheError("catalogue must be an object with a 'price_lists' (or 'positions') list")


def store_catalogue(store: Store, raw: bytes) -> int:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CacheError(f"catalogue is not UTF-8 JSON: {exc}") from None
    positions = _positions(document)
    version = str(document.get("version", ""))
    with store.transaction() as db:
        db.execute("DELETE FROM catalogue")
        # Keyed by price list and code (codes may repeat across lists); `ord` keeps the hub's order.
        db.conn.executemany("INSERT OR REPLACE INTO catalogue(code, position, version) VALUES (?, ?, ?)",
                            [(f"{p['price_list'] or ''}/{p['code']}", json.dumps({**p, "ord": n}, ensure_ascii=False),
                              version) for n, p in enumerate(positions)])
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                   "excluded.value", (CATALOGUE_VERSION_SETTING, json.dumps(version)))
    return len(positions)


def catalogue(store: Store) -> list[dict]:
    rows = [json.loads(row["position"]) for row in store.query("SELECT position FROM catalogue")]
    return sorted(rows, key=lambda p: p.get("ord", 0))


def store_keys(store: Store, raw: bytes) -> KeyDirectory:
    try:
        document = json.loads(raw.decode("utf-8"))
        directory = KeyDirectory.from_json(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CacheError(f"key directory is not UTF-8 JSON: {exc}") from None
    except KeyProblem as exc:
        raise CacheError(f"key directory refused: {exc}") from None
    store.set_setting(KEYS_SETTING, directory.to_json())
    return directory


def cached_keys(store: Store) -> KeyDirectory | None:
    document = store.get_setting(KEYS_SETTING)
    if document is None:
        return None
    try:
        return KeyDirectory.from_json(document)
    except KeyProblem:
        return None
