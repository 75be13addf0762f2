"""The hub's `card.activation` for this desk's office, heard on `cp/v1/broadcast/cards/<office>`.

Retained and signed with the hub's event key (hub/activation/feed.py): the service steps
where this office's desks take cards (agent/card_checks.py).  A document is taken only
when it is well formed, signed by the hub, for this office and not older than the one
the desk holds; anything else raises `WireError` with the reason, and the desk keeps
what it had.
"""

from __future__ import annotations

from protocol.keys import KeyDirectory
from protocol.wire import WireError, decode, verify
from protocol.wire.messages import CARD_ACTIVATION_MAX_BYTES

from agent.store import Store, card_activations
from agent.sync.order_state import SENDER, has_hub_key, moment


def receive(store: Store, raw: bytes, keys: KeyDirectory | None, office: str) -> int:
    """Check, verify and store one document; returns how many service steps take cards now."""
    envelope = decode(raw, CARD_ACTIVATION_MAX_BYTES)
    if envelope.type != "card.activation":
        raise WireError("wrong_type", f"expected a card.activation, got a {envelope.type}")
    if envelope.agent != SENDER:
        raise WireError("wrong_sender", f"a card activation comes from the hub, this one names {envelope.agent!r}")
    if not has_hub_key(keys):
        raise WireError("no_hub_key", "no key directory with the hub's key is cached yet, so the card activation "
                        "cannot be verified; it is checked once the directory arrives")
    verify(envelope, keys, owner=SENDER)
    if envelope.body["office"] != office:
        raise WireError("wrong_office", f"the card activation is for office {envelope.body['office']!r}, "
                        f"this desk is in {office!r}")
    held = card_activations.heard_at(store)
    if held and moment(envelope.time) < moment(held):
        raise WireError("stale", f"the card activation of {envelope.time} is older than the one of {held} this "
                        "desk holds; kept the newer")
    return card_activations.replace(store, envelope.body["active"], envelope.time)
