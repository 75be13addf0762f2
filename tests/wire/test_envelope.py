"""The signed envelope: round trip, and every way a bad message is rejected with its reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from protocol import wire
from protocol.keys import KeyDirectory, SigningKey
from protocol.wire import topics

AGENT = "riga-counter-1"


@pytest.fixture(scope="module")
def key():
    return SigningKey.generate()


@pytest.fixture(scope="module")
def directory(key):
    directory = KeyDirectory()
    directory.add(key.public_entry(AGENT, ["event", "receipt"]))
    return directory


def payment_body(**overrides):
    body = {"payment_id": "pay-1", "receipt_id": "R-1", "office": "riga", "amount_minor": 1250,
            "currency": "EUR", "tender": "card", "reference": {"format": "case", "value": "C-77"},
            "card": {"masked_pan": "************1234", "receipt_no": "0042"},
            "captured_at": "2026-11-22T12:00:00Z"}
    body.update(overrides)
    return body


def test_signed_envelope_round_trips_and_verifies(key, directory):
    envelope = wire.make(AGENT, 7, "payment.captured", payment_body(), key)
    decoded = wire.decode(envelope.encode())
    assert decoded == envelope
    wire.verify(decoded, directory, owner=AGENT)


def test_message_id_is_fixed_at_creation_and_survives_encoding(key):
    envelope = wire.make(AGENT, 1, "payment.captured", payment_body(), key, message_id="m-fixed")
    assert wire.decode(envelope.encode()).id == "m-fixed"


def test_tampered_body_is_rejected_as_forged(key, directory):
    raw = json.loads(wire.make(AGENT, 1, "payment.captured", payment_body(), key).encode())
    raw["body"]["amount_minor"] = 1
    with pytest.raises(wire.WireError) as error:
        wire.verify(wire.decode(json.dumps(raw).encode()), directory, owner=AGENT)
    assert error.value.reason == "signature_forged"


def test_message_signed_by_one_agent_sent_as_another_is_rejected(key, directory):
    envelope = wire.make(AGENT, 1, "payment.captured", payment_body(), key)
    with pytest.raises(wire.WireError) as error:
        wire.verify(envelope, directory, owner="other-agent")
    assert error.value.reason == "signature_wrong_owner"


def test_unknown_key_is_rejected(directory):
    stranger = SigningKey.generate()
    envelope = wire.make(AGENT, 1, "payment.captured", payment_body(), stranger)
    with pytest.raises(wire.WireError) as error:
        wire.verify(envelope, directory, owner=AGENT)
    assert error.value.reason == "signature_unknown_key"


def test_revoked_key_is_rejected(key):
    directory = KeyDirectory()
    directory.add(key.public_entry(AGENT, ["event"]))
    directory.revoke(key.kid, "2026-11-01T00:00:00Z", "laptop stolen")
    envelope = wire.make(AGENT, 1, "payment.captured", payment_body(), key)
    with pytest.raises(wire.WireError) as error:
        wire.verify(envelope, directory, owner=AGENT)
    assert error.value.reason == "signature_revoked"
    assert "laptop stolen" in str(error.value)


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: d.update(v=2), "unknown_version"),
    (lambda d: d.update(type="payment.teleported"), "unknown_type"),
    (lambda d: d.pop("seq"), "missing_field"),
    (lambda d: d.update(seq=-1), "bad_field"),
    (lambda d: d.update(extra=1), "unknown_field"),
    (lambda d: d["body"].update(amount_minor=12.5), "bad_body"),
    (lambda d: d["body"].update(currency="euro"), "bad_body"),
])
def test_bad_envelopes_are_rejected_with_a_reason(key, mutate, reason):
    document = json.loads(wire.make(AGENT, 1, "payment.captured", payment_body(), key).encode())
    mutate(document)
    with pytest.raises(wire.WireError) as error:
        wire.decode(json.dumps(document).encode())
    assert error.value.reason == reason


def test_oversized_message_is_rejected_before_parsing():
    with pytest.raises(wire.WireError) as error:
        wire.decode(b" " * (wire.MAX_MESSAGE_BYTES + 1))
    assert error.value.reason == "oversized"


def test_a_full_card_number_can_never_be_put_on_the_wire(key):
    with pytest.raises(wire.WireError) as error:
        wire.make(AGENT, 1, "payment.captured", payment_body(card={"masked_pan": "4111111111111111"}), key)
    assert "at most the last 4 digits" in str(error.value)


def test_topics_follow_the_contract():
    assert topics.events(AGENT) == f"cp/v1/agents/{AGENT}/events"
    assert topics.split(f"cp/v1/agents/{AGENT}/acks") == (AGENT, "acks")
    for bad in ("cp/v1/agents/+/events", "cp/v1/agents/a/b/events", "x/v1/agents/a/events"):
        with pytest.raises(topics.TopicError):
            topics.split(bad)
    with pytest.raises(topics.TopicError):
        topics.events("a/b")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_decode_never_raises_anything_but_wire_error(data):
    try:
        wire.decode(data)
    except wire.WireError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
                    max_leaves=20))
def test_decode_of_arbitrary_json_only_raises_wire_error(document):
    try:
        wire.decode(json.dumps(document).encode())
    except wire.WireError:
        pass
