"""The fee catalogue as the hub publishes it is what the agent caches (found by the demo:
the clerk screen showed no positions because the two sides disagreed on the shape)."""

from __future__ import annotations

from hub.catalogue.model import Catalogue
from hub.catalogue.service import payload, wire_document

from agent.store import Store
from agent.sync import caches


def test_the_agent_caches_the_catalogue_the_hub_publishes(tmp_path):
    catalogue = Catalogue.model_validate({"currency": "EUR", "price_lists": [{
        "code": "DEMO", "name": "Demo office fees", "positions": [
            {"code": "REG", "name": "Registration"},
            {"code": "REG-1", "parent": "REG", "name": "Car", "unit_price_minor": 4500, "vat_rate_bp": 2100,
             "mandatory": True, "legal_act": "Act §1", "tenders": ["card"]},
            {"code": "COPY", "name": "Certified copy", "unit": "page", "unit_price_minor": 200}]}]})
    document = wire_document({"version": 7, "document": catalogue.model_dump(mode="json"),
                              "published_at": "2026-11-22T10:00:00Z", "status": "published"})
    store = Store.open(tmp_path / "agent.db")
    try:
        assert caches.store_catalogue(store, payload(document)) == 3
        cached = {p["code"]: p for p in caches.catalogue(store)}
    finally:
        store.close()
    assert cached["REG-1"]["unit_minor"] == 4500 and cached["REG-1"]["parent_code"] == "REG"
    assert cached["REG-1"]["vat_rate_bp"] == 2100 and cached["REG-1"]["mandatory"] is True
    assert cached["REG-1"]["tenders"] == ["card"]
    assert cached["REG"]["unit_minor"] == 0 and cached["COPY"]["unit"] == "page"


def test_a_price_list_without_positions_is_refused_with_its_name(tmp_path):
    store = Store.open(tmp_path / "agent.db")
    try:
        try:
            caches.store_catalogue(store, b'{"version": 1, "price_lists": [{"code": "X"}]}')
        except caches.CacheError as exc:
            assert "price list 0" in str(exc)
        else:
            raise AssertionError("a price list without positions was cached")
    finally:
        store.close()
