"""Bad input never escapes as anything but the module's own clear error."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.codes import VERDICTS, check
from agent.config import ConfigError, from_dict
from agent.store import Store
from agent.sync import caches

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                        max_size=4), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["agent", "hub", "outbox", "terminal", "printer", "x"]),
                       st.dictionaries(st.sampled_from(["id", "office", "data_dir", "broker", "cap", "protocol",
                                                        "device", "kind", "columns", "path", "tenders", "window"]),
                                       json_values, max_size=6) | json_values, max_size=5))
def test_config_errors_are_config_errors(document):
    try:
        from_dict(document, source="fuzz.toml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.toml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()) |
       st.lists(json_values, max_size=3).map(lambda items: json.dumps({"positions": items}).encode()))
def test_broadcast_documents_are_cached_or_refused_with_a_reason(tmp_path, raw):
    store = Store.open(tmp_path / "fuzz.db")
    try:
        for handler in (caches.store_catalogue, caches.store_keys):
            try:
                handler(store, raw)
            except caches.CacheError as exc:
                assert str(exc)
    finally:
        store.close()


fee_rules = st.dictionaries(st.sampled_from(["price_list", "fixed_minor", "percent_bp", "min_minor", "max_minor",
                                            "tenders", "collect", "name"]), json_values, max_size=6)
office_documents = st.fixed_dictionaries({
    "price_lists": st.lists(st.fixed_dictionaries({"code": json_values, "positions": st.lists(st.dictionaries(
        st.sampled_from(["code", "name", "unit_price_minor", "discounts", "notes", "mandatory", "parent"]),
        json_values | st.lists(st.dictionaries(st.sampled_from(["name", "percent_bp", "amount_minor"]), json_values)),
        max_size=5), max_size=3)}), max_size=2),
    "handling_fees": st.lists(fee_rules, max_size=3) | json_values})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(office_documents)
def test_office_catalogues_are_cached_with_rules_that_compute_or_refused_with_a_reason(tmp_path, document):
    store = Store.open(tmp_path / "fuzz.db")
    try:
        try:
            caches.store_catalogue(store, json.dumps(document).encode(), caches.OFFICE)
        except caches.CacheError as exc:
            assert str(exc)
            return
        for rule in document["handling_fees"]:
            found = caches.handling_fee_rule(store, rule["price_list"])
            assert found is not None and found.fee_for(12_345) >= 0
    finally:
        store.close()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.from_regex(r"8[12]1[0-9]{10,120}", fullmatch=True))
def test_any_scanned_text_gets_one_of_the_plain_verdicts(payload):
    assert check(payload, None).verdict in VERDICTS
