"""What the hub publishes retained on cp/v1/broadcast/…, cached in the store for offline use.

Catalogue (`topics.CATALOGUE`): UTF-8 JSON
    {"version": "2026-11-01", "positions": [{"code": "REG-1", "name": "Vehicle registration",
      "parent_code": null, "unit": "piece", "unit_minor": 4500, "vat_rate_bp": 0,
      "mandatory": true, "legal_act": "…", "tenders": ["card", "cash"]}, …]}
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
    if not isinstance(document, dict) or not isinstance(document.get("positions"), list):
        raise CacheError("catalogue must be an object with a 'positions' list")
    positions = [_position(item, i) for i, item in enumerate(document["positions"])]
    version = str(document.get("version", ""))
    with store.transaction() as db:
        db.execute("DELETE FROM catalogue")
        db.conn.executemany("INSERT OR REPLACE INTO catalogue(code, position, version) VALUES (?, ?, ?)",
                            [(p["code"], json.dumps(p, ensure_ascii=False), version) for p in positions])
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                   "excluded.value", (CATALOGUE_VERSION_SETTING, json.dumps(version)))
    return len(positions)


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
