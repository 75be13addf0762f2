"""The card.activation broadcast: its topic per office, its strict schema, and any bytes on the
wire refused with a WireError at the desk (never another exception), the desk keeping what it had."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from protocol import wire
from protocol.keys import KeyDirectory, SigningKey
from protocol.wire import WireError, topics
from protocol.wire.messages import CARD_ACTIVATION_ENTRIES, CardActivation, body_of, build, validate_body

from agent.store import Store, card_activations
from agent.sync.card_activation import receive

HUB = SigningKey.generate()
KEYS = KeyDirectory()
KEYS.add(HUB.public_entry("hub", ["event"]))


def test_the_topic_of_an_office_is_one_level_under_broadcast_cards_whatever_its_name():
    assert topics.card_activation("riga-1") == "cp/v1/broadcast/cards/riga-1"
    assert topics.card_activation("Riga 1/A+#") == "cp/v1/broadcast/cards/Riga%201%2FA%2B%23"
    with pytest.raises(topics.TopicError, match="1-64"):
        topics.card_activation("x" * 65)


@pytest.mark.parametrize("body, field", [
    ({"office": "", "active": []}, "office"),
    ({"office": "riga-1", "active": [{"service": "VEH A", "since": "t"}]}, "active.0.service"),
    ({"office": "riga-1", "active": [{"service": "VEH", "since": "t", "contract_valid_to": "2026-1-1"}]},
     "contract_valid_to"),
    ({"office": "riga-1", "active": [{"service": "VEH", "since": "t"}], "extra": 1}, "extra"),
    ({"office": "riga-1", "active": [{"service": "VEH", "since": "t"}] * 2}, "listed twice"),
    ({"office": "riga-1", "active": [{"service": f"S{i}", "since": "t"} for i in range(CARD_ACTIVATION_ENTRIES + 1)]},
     "active"),
])
def test_a_bad_body_is_refused_naming_what_is_wrong(body, field):
    with pytest.raises(WireError) as refused:
        validate_body("card.activation", body)
    assert field in str(refused.value)


def test_a_signed_set_round_trips():
    body = body_of(build(CardActivation, office="riga-1", active=[{"service": "VEH", "since": "2026-11-20T09:00:00Z",
                                                                   "contract_valid_to": "2027-12-31"}]))
    decoded = wire.decode(wire.make("hub", 0, "card.activation", body, HUB).encode())
    wire.verify(decoded, KEYS, owner="hub")
    assert decoded.body["active"][0] == {"service": "VEH", "since": "2026-11-20T09:00:00Z",
                                         "contract_valid_to": "2027-12-31"}


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                     max_leaves=20)


_VALID = json.loads(wire.make("hub", 0, "card.activation", {"office": "riga-1", "active": []}, HUB,
                              time="2000-01-01T00:00:00Z").encode())


def _with_body(body) -> bytes:
    """A well-signed envelope's text with another body put in (its signature no longer matches)."""
    return json.dumps({**_VALID, "body": body}).encode()


def _signed(services: list[str]) -> bytes:
    try:
        return wire.make("hub", 0, "card.activation", {"office": "riga-1", "active": [
            {"service": s, "since": "t"} for s in services]}, HUB, time="2000-01-01T00:00:00Z").encode()
    except WireError:
        return _with_body({"office": "riga-1", "active": [{"service": s, "since": "t"} for s in services]})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=300), _json.map(_with_body),
                     st.lists(st.text(max_size=70), max_size=5).map(_signed)))
def test_any_bytes_are_taken_or_refused_with_a_wire_error_and_a_refusal_keeps_the_set(tmp_path, raw):
    store = Store.open(tmp_path / "agent.db")
    try:
        card_activations.replace(store, [{"service": "KEEP", "since": "t"}], "2001-01-01T00:00:00Z")
        try:
            receive(store, raw, KEYS, "riga-1")
        except WireError:
            assert list(card_activations.active(store)) == ["KEEP"]
        else:
            raise AssertionError("an older or made-up set was taken")
    finally:
        store.close()
