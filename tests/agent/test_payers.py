"""The desk's payer database, offline: payers of payments, of the hub's order codes scanned and of cases
looked up; found by name without case or accents, by id, and by a fiscal code typed in any spacing;
a v4 store's payers are found the same way after the upgrade."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.qr import cp_order

from agent.payments import PaymentRequest
from agent.store import Store, payers
from agent.store.folding import compact_id, fold_name

from tests.agent.conftest import write_config
from tests.agent.test_service import open_service


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path / "agent.db")
    yield opened
    opened.close()


def test_a_payer_is_found_by_name_without_accents_by_id_and_by_fiscal_code_in_any_spacing(store):
    payers.remember(store, "RSSMRA80A01H501U", "Mario Rossi", "2026-11-20T10:00:00Z")
    payers.remember(store, "010180-12345", "Łukasz Bērziņš", "2026-11-21T10:00:00Z", order_id="CP0000000004")
    payers.remember(store, None, "Γεώργιος Παπαδόπουλος", "2026-11-19T10:00:00Z")
    assert [p["id"] for p in payers.search(store, "lukasz berzins")] == ["010180-12345"]
    assert [p["id"] for p in payers.search(store, "01018012345")] == ["010180-12345"]
    assert [p["id"] for p in payers.search(store, "rss mra 80a01")] == ["RSSMRA80A01H501U"]
    assert payers.search(store, "ΓΕΩΡΓΙΟΣ") == [{"name": "Γεώργιος Παπαδόπουλος", "id": None,
                                                  "last_seen": "2026-11-19T10:00:00Z", "last_order_id": None}]
    assert payers.search(store, "010180")[0]["last_order_id"] == "CP0000000004"
    assert [p["name"] for p in payers.search(store, "a")] == ["Łukasz Bērziņš", "Mario Rossi"]      # newest first


def test_wildcards_typed_in_a_search_are_plain_characters(store):
    payers.remember(store, "A1", "Anna", "2026-11-20T10:00:00Z")
    assert payers.search(store, "%") == [] and payers.search(store, "_") == [] and payers.search(store, " - ") == []


def test_a_later_sighting_without_a_name_keeps_the_name_and_the_newest_time(store):
    payers.remember(store, "85010112345", "Jan Kowalski", "2026-11-21T10:00:00Z", order_id="CP1")
    payers.remember(store, "85010112345", None, "2026-11-22T10:00:00Z")
    payers.remember(store, "85010112345", "Jan Kowalski", "2026-11-01T10:00:00Z")      # an old receipt replayed
    assert payers.search(store, "8501") == [{"name": "Jan Kowalski", "id": "85010112345",
                                             "last_seen": "2026-11-22T10:00:00Z", "last_order_id": "CP1"}]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_typed_text_searches_without_error_and_folding_is_stable(tmp_path_factory, text):
    store = Store.open(tmp_path_factory.mktemp("payers") / "agent.db")
    try:
        payers.remember(store, text or None, text or None, "2026-11-20T10:00:00Z")
        found = payers.search(store, text)
        assert isinstance(found, list)
        assert fold_name(fold_name(text)) == fold_name(text) and compact_id(compact_id(text)) == compact_id(text)
    finally:
        store.close()


def test_a_v4_stores_payers_are_found_by_folded_name_and_compact_id_after_the_upgrade(tmp_path):
    path = tmp_path / "agent.db"
    old = Store.open(path, target_version=4)
    old.db.execute("INSERT INTO payers(id, name, name_folded, last_seen) VALUES "
                   "('010180-12345', 'Łukasz BĒRZIŅŠ', 'łukasz bērziņš', 'x')")
    old.close()
    upgraded = Store.open(path)
    try:
        assert [p["id"] for p in payers.search(upgraded, "berzins")] == ["010180-12345"]
        assert [p["id"] for p in payers.search(upgraded, "01018012345")] == ["010180-12345"]
    finally:
        upgraded.close()


def test_the_payers_of_the_hubs_orders_scanned_here_and_of_payments_are_found_offline(tmp_path, keys):
    import json
    from agent.sync import caches
    service = open_service(write_config(tmp_path, keys))
    try:
        caches.store_keys(service.store, json.dumps(keys.directory.to_json()).encode())
        code = cp_order.make(cp_order.PaymentOrderCode("CP0000000009", "WAW/2026/9", 4500, "EUR", (),
                                                       "Zofia Wójcik", "92071314764", "2099-12-31", keys.hub.kid),
                             keys.hub)
        assert service.check_code(code).valid
        service.pay(PaymentRequest(1200, "EUR", "cash", payer_name="Ilze Kalniņa", payer_id="121282-11210"))
    finally:
        service.close()
    service = open_service(write_config(tmp_path, keys))      # no broker, a restart
    try:
        assert service.search_payers("wojcik") == [{"name": "Zofia Wójcik", "id": "92071314764",
                                                   "last_seen": service.search_payers("wojcik")[0]["last_seen"],
                                                   "last_order_id": "CP0000000009"}]
        assert [p["name"] for p in service.search_payers("12128211210")] == ["Ilze Kalniņa"]
    finally:
        service.close()
