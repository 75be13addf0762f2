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
An office's own catalogue (`topics.office_catalogue(office)`, issue 14: fee dictionaries offices
keep) has the same shape; its price lists are offered beside the shared ones (an office list
with the code of a shared one takes its place at that desk), and its `handling_fees` rules
take the place of the shared catalogue's rules for the same price list.  Each scope is kept
apart (`scope` "" shared, "office"), so one scope's update never drops the other's positions.
Positions keep their discounts, notes and their price list's service step, legal acts and notes.
Key directory (`topics.KEYS`): `KeyDirectory.to_json()`.
A bad document is refused with a reason and the previous cache stays.
"""

from __future__ import annotations

import json
from typing import Any

from protocol import fees
from protocol.domain import Tender
from protocol.keys import KeyDirectory, KeyProblem

from agent.store import Store

KEYS_SETTING = "key_directory"
CATALOGUE_VERSION_SETTING = "catalogue_version"
OFFICE_CATALOGUE_VERSION_SETTING = "office_catalogue_version"
HANDLING_FEES_SETTING = "handling_fees"            # {"": [shared rules], "office": [the office's rules]}
SHARED, OFFICE = "", "office"


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
    price_list = price_list or {}
    return {"code": code, "name": name, "parent_code": item.get("parent", item.get("parent_code")),
            "unit": str(item.get("unit", "")), "unit_minor": unit_minor, "vat_rate_bp": vat,
            "mandatory": bool(item.get("mandatory", False)), "legal_act": legal_act, "tenders": tenders,
            "price_list": price_list.get("code"), "price_list_name": price_list.get("name"),
            "discounts": _discounts(item.get("discounts"), code), "notes": _text(item.get("notes")),
            "service_step": price_list.get("service_step") if type(price_list.get("service_step")) is int else None,
            "price_list_notes": _text(price_list.get("notes"))}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _discounts(raw: Any, code: str) -> list[dict]:
    """A position's discounts as the hub's model has them: a name and a percent_bp or an amount_minor."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise CacheError(f"catalogue position {code}: 'discounts' must be a list")
    out = []
    for item in raw:
        ok = isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]
        kinds = [k for k in ("percent_bp", "amount_minor") if isinstance(item.get(k), int)
                 and not isinstance(item.get(k), bool) and item[k] > 0] if ok else []
        if not ok or len(kinds) != 1 or (kinds[0] == "percent_bp" and item["percent_bp"] > 10_000):
            raise CacheError(f"catalogue position {code}: a discount needs a name and one of percent_bp "
                             "(1-10000) or amount_minor (> 0)")
        out.append({"name": item["name"], kinds[0]: item[kinds[0]]})
    return out


def _fee_rules(document: Any) -> list[dict]:
    raw = document.get("handling_fees", []) if isinstance(document, dict) else []
    if not isinstance(raw, list):
        raise CacheError("catalogue 'handling_fees' must be a list")
    for index, rule in enumerate(raw):
        if not isinstance(rule, dict) or not isinstance(rule.get("price_list"), str):
            raise CacheError(f"handling fee rule {index} must be an object naming its 'price_list'")
        where = f"handling fee rule {index} ({rule['price_list']})"
        for name in ("fixed_minor", "percent_bp", "min_minor", "max_minor"):
            value = rule.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0 or \
                    (name == "percent_bp" and value > 10_000):
                raise CacheError(f"{where}: {name!r} must be a whole number >= 0"
                                 + (" and <= 10000" if name == "percent_bp" else ""))
        tenders = rule.get("tenders", [Tender.CARD])
        if not isinstance(tenders, list) or not tenders or any(t not in tuple(Tender) for t in tenders):
            raise CacheError(f"{where}: 'tenders' must list 'card' and/or 'cash'")
        if rule.get("collect", fees.COLLECT_WITH_PAYMENT) not in fees.COLLECT_MODES:
            raise CacheError(f"{where}: 'collect' must be one of {', '.join(fees.COLLECT_MODES)}")
        if rule.get("name") is not None and not isinstance(rule["name"], str):
            raise CacheError(f"{where}: 'name' must be a text")
    return raw


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


def store_catalogue(store: Store, raw: bytes, scope: str = SHARED) -> int:
    """Cache the shared catalogue (scope "") or the office's own (scope "office"); an empty
    retained message (the hub withdrew the office's catalogue) clears that scope."""
    if scope == OFFICE and not raw:
        document: Any = {"price_lists": []}
    else:
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CacheError(f"catalogue is not UTF-8 JSON: {exc}") from None
    positions = _positions(document)
    rules = _fee_rules(document)
    version = str(document.get("version", ""))
    # Keyed by scope, price list and code (codes may repeat across lists): the shared scope's
    # keys have no prefix, as before offices had catalogues of their own.
    prefix = f"{scope}:" if scope else ""
    with store.transaction() as db:
        if scope:
            db.execute("DELETE FROM catalogue WHERE code LIKE ?", (f"{prefix}%",))
        else:
            db.execute("DELETE FROM catalogue WHERE code NOT LIKE ?", (f"{OFFICE}:%",))
        # `ord` keeps the hub's order.
        db.conn.executemany("INSERT OR REPLACE INTO catalogue(code, position, version) VALUES (?, ?, ?)",
                            [(f"{prefix}{p['price_list'] or ''}/{p['code']}",
                              json.dumps({**p, "ord": n, "scope": scope}, ensure_ascii=False), version)
                             for n, p in enumerate(positions)])
        setting = OFFICE_CATALOGUE_VERSION_SETTING if scope else CATALOGUE_VERSION_SETTING
        db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                   "excluded.value", (setting, json.dumps(version)))
        all_rules = store.get_setting(HANDLING_FEES_SETTING) or {}
        all_rules[scope] = rules
        store.set_setting(HANDLING_FEES_SETTING, all_rules)
    return len(positions)


def catalogue(store: Store) -> list[dict]:
    """The positions a desk offers: the office's price lists, then the shared ones it does not
    replace; by service step (price lists without one last), then in the hub's order."""
    rows = [json.loads(row["position"]) for row in store.query("SELECT position FROM catalogue")]
    own_lists = {p.get("price_list") for p in rows if p.get("scope") == OFFICE}
    rows = [p for p in rows if p.get("scope") == OFFICE or p.get("price_list") not in own_lists]
    return sorted(rows, key=lambda p: (p.get("service_step") is None, p.get("service_step") or 0,
                                       p.get("scope") != OFFICE, p.get("ord", 0)))


def handling_fee_rule(store: Store, price_list: str | None) -> fees.HandlingFeeRule | None:
    """The handling fee rule for a price list at this desk: the office's, else the shared one."""
    if not price_list:
        return None
    all_rules = store.get_setting(HANDLING_FEES_SETTING) or {}
    for scope in (OFFICE, SHARED):
        for rule in all_rules.get(scope) or []:
            if rule.get("price_list") == price_list:
                return fees.HandlingFeeRule.from_document(rule)
    return None


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
