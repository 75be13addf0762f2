"""The hub's `order.state` for this desk's office, heard on `cp/v1/broadcast/orders/<office>`.

Retained and signed with the hub's event key (hub/orders/state_feed.py): the orders of
this office, and of no office, that the desk must refuse (agent/order_checks.py).  A
document is taken only when it is well formed, signed by the hub, for this office and
not older than the one the desk holds; anything else raises `WireError` with the
reason, and the desk keeps what it had.
"""

from __future__ import annotations

import datetime as dt

from protocol.keys import KeyDirectory
from protocol.wire import WireError, decode, verify
from protocol.wire.messages import ORDER_STATE_MAX_BYTES

from agent.store import Store, order_states

SENDER = "hub"


def moment(text: str) -> dt.datetime:
    """An envelope's time as an aware datetime (a naive one is taken as UTC)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def has_hub_key(keys: KeyDirectory | None) -> bool:
    return keys is not None and any(e.owner == "hub" for e in keys.entries.values())


def receive(store: Store, raw: bytes, keys: KeyDirectory | None, office: str) -> int:
    """Check, verify and store one document; returns how many orders the desk now refuses."""
    envelope = decode(raw, ORDER_STATE_MAX_BYTES)
    if envelope.type != "order.state":
        raise WireError("wrong_type", f"expected an order.state, got a {envelope.type}")
    if envelope.agent != SENDER:
        raise WireError("wrong_sender", f"an order state comes from the hub, this one names {envelope.agent!r}")
    if not has_hub_key(keys):
        raise WireError("no_hub_key", "no key directory with the hub's key is cached yet, so the order state "
                        "cannot be verified; it is checked once the directory arrives")
    verify(envelope, keys, owner=SENDER)
    if envelope.body["office"] != office:
        raise WireError("wrong_office", f"the order state is for office {envelope.body['office']!r}, "
                        f"this desk is in {office!r}")
    held = order_states.heard_at(store)
    if held and moment(envelope.time) < moment(held):
        raise WireError("stale", f"the order state of {envelope.time} is older than the one of {held} this desk "
                        "holds; kept the newer")
    return order_states.replace(store, envelope.body["orders"], envelope.time)
