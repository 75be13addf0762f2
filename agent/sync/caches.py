"""What the hub publishes retained on cp/v1/broadcast/…, cached in the store for offline use.

Catalogue (`topics.CATALOGUE`): UTF-8 JSON
    {"version": "2026-11-01", "positions": [{"code": "REG-1", "name": "Vehicle registration",
      "parent_code": null, "unit": "piece", "unit_minor": 4500, "vat_rate_bp": 0,
      "mandatory": true, "legal_act": "…", "tenders": ["card", "cash"]}, …]}
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

from protocol.keys import KeyDirectory, KeyProblem

from agent.store import Store

KEYS_SETTING = "key_directory"
CATALOGUE_VERSION_SETTING = "catalogue_version"


class CacheError(ValueError):
    """A retained broadcast document was refused; the message says why."""


def _position(item: Any, index: int) -> dict:
    if not isinstance(item, dict):
        raise CacheError(f"catalogue position {index} is not an object")
    code, name, unit_minor = item.get("code"), item.get("name"), item.get("unit_minor")
    if not isinstance(code, str) or not code or len(code) > 64:
        raise CacheError(f"catalogue position {index}: 'code' must be a text of 1-64 characters")
    if not isinstance(name, str):
        raise CacheError(f"catalogue position {code}: 'name' must be a text")
    if isinstance(unit_minor, bool) or not isinstance(unit_minor, int) or unit_minor < 0:
        raise CacheError(f"catalogue position {code}: 'unit_minor' must be a whole number of minor units >= 0")
    vat = item.get("vat_rate_bp", 0)
    if isinstance(vat, bool) or not isinstance(vat, int) or not 0 <= vat <= 10_000:
        raise CacheError(f"catalogue position {code}: 'vat_rate_bp' must be 0-10000")
    tenders = item.get("tenders", ["card", "cash"])
    if not isinstance(tenders, list) or any(t not in ("card", "cash") for t in tenders):
        raise CacheError(f"catalogue position {code}: 'tenders' must list 'card' and/or 'cash'")
    return {"code": code, "name": name, "parent_code": item.get("parent_code"), "unit": str(item.get("unit", "")),
            "unit_minor": unit_minor, "vat_rate_bp": vat, "mandatory": bool(item.get("mandatory", False)),
            "legal_act": item.get("legal_act"), "tenders": tenders}


def store_catalogue(store: Store, raw: bytes) -> int:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CacheError(f"catalogue is not UTF-8 JSON: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("price_lists"), list):
        document = _flatten_price_lists(document)
    if not isinstance(document, dict) or not isinstance(document.get("positions"), list):
        raise CacheError("catalogue must be an object with a 'positions' list (or the hub's 'price_lists')")
    positions = [_position(item, i) for i, item in enumerate(document["positions"])]
    version = str(document.get("version", ""))
    with store.transaction() as db:
        db.execute("DELETE FROM catalogue")
        db.conn.executemany("INSERT OR REPLACE INTO catalogue(code, position, version) VALUES (?, ?, ?)",
                            [(p["code"], json.dumps(p, ensure_ascii=False), version) for p in positions])
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                   "excluded.value", (CATALOGUE_VERSION_SETTING, json.dumps(version)))
    return len(positions)


def _flatten_price_lists(document: dict) -> dict:
    """The hub's published shape (price lists) → the flat positions the agent caches."""
    positions = []
    for index, price_list in enumerate(document["price_lists"]):
        if not isinstance(price_list, dict) or not isinstance(price_list.get("positions"), list):
            raise CacheError(f"catalogue price list {index} must be an object with a 'positions' list")
        for item in price_list["positions"]:
            if not isinstance(item, dict):
                raise CacheError(f"catalogue price list {price_list.get('code', index)}: a position is not an object")
            flat = {k: v for k, v in item.items() if k not in ("parent", "unit_price_minor")}
            flat["parent_code"] = item.get("parent")
            flat["unit_minor"] = 0 if item.get("unit_price_minor") is None else item.get("unit_price_minor")
            positions.append(flat)
    return {"version": document.get("version", ""), "positions": positions}


def catalogue(store: Store) -> list[dict]:
    return [json.loads(row["position"]) for row in store.query("SELECT position FROM catalogue ORDER BY code")]


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
