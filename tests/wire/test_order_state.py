"""The order.state broadcast: its topic per office, its strict schema, signed like acks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from protocol import wire
from protocol.keys import KeyDirectory, SigningKey
from protocol.wire import WireError, topics
from protocol.wire.messages import ORDER_STATE_ENTRIES, ORDER_STATE_MAX_BYTES, OrderState, body_of, build


def cancelled(order_id: str = "CP0000000001", **overrides) -> dict:
    return {"order_id": order_id, "state": "cancelled", "at": "2026-11-22T10:00:00.000Z",
            "reference": "RF18CP0000000001", "reason": "issued twice"} | overrides


def test_the_topic_of_an_office_is_one_level_under_broadcast_orders_whatever_its_name():
    assert topics.order_state("riga-1") == "cp/v1/broadcast/orders/riga-1"
    assert topics.order_state("Riga 1/A+#") == "cp/v1/broadcast/orders/Riga%201%2FA%2B%23"
    assert topics.order_state("Αθήνα").count("/") == 4
    with pytest.raises(topics.TopicError, match="1-64"):
        topics.order_state("")


def test_a_signed_order_state_round_trips_and_verifies_with_the_hubs_event_key():
    key = SigningKey.generate()
    keys = KeyDirectory()
    keys.add(key.public_entry("hub", ["event"]))
    changed = {"order_id": "CP0000000002", "state": "changed", "at": "2026-11-22T11:00:00.000Z",
               "amount_minor": 5200, "currency": "EUR"}
    body = body_of(build(OrderState, office="riga-1", orders=[cancelled(), changed]))
    decoded = wire.decode(wire.make("hub", 0, "order.state", body, key).encode(), ORDER_STATE_MAX_BYTES)
    wire.verify(decoded, keys, owner="hub")
    assert decoded.body["orders"][1]["amount_minor"] == 5200 and decoded.body["omitted"] == 0


def test_an_order_state_signed_by_another_key_is_refused():
    forger, hub = SigningKey.generate(), SigningKey.generate()
    keys = KeyDirectory()
    keys.add(hub.public_entry("hub", ["event"]))
    body = body_of(build(OrderState, office="riga-1", orders=[cancelled()]))
    envelope = wire.decode(wire.make("hub", 0, "order.state", body, forger).encode())
    with pytest.raises(WireError) as refused:
        wire.verify(envelope, keys, owner="hub")
    assert refused.value.reason.startswith("signature_")


@pytest.mark.parametrize("orders, problem", [
    ([cancelled(reason=None)], "needs the reason"),
    ([cancelled(), cancelled()], "listed twice"),
    ([cancelled(state="paid")], "state"),
    ([cancelled(extra="x")], "extra"),
    ([cancelled(amount_minor=-1)], "amount_minor"),
    ([cancelled(reason="x" * 401)], "reason"),
    ([cancelled(order_id=f"CP{n:010d}") for n in range(ORDER_STATE_ENTRIES + 1)], "orders"),
])
def test_a_malformed_order_state_is_refused_naming_what_is_wrong(orders, problem):
    with pytest.raises(WireError) as refused:
        wire.validate_body("order.state", {"office": "riga-1", "orders": orders})
    assert refused.value.reason == "bad_body" and problem in str(refused.value)


def test_an_order_state_must_name_its_office():
    with pytest.raises(WireError, match="office"):
        wire.validate_body("order.state", {"orders": []})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["office", "orders", "omitted", "x"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                 st.lists(st.dictionaries(st.text(max_size=8), st.text(max_size=8)), max_size=3))))
def test_any_body_either_validates_or_is_refused_with_a_wire_error(body):
    try:
        state = wire.validate_body("order.state", body)
    except WireError as exc:
        assert exc.reason == "bad_body"
    else:
        assert isinstance(state, OrderState)
