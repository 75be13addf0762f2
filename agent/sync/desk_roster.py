"""The hub's `desk.roster` for this desk's office, heard on the desk's own `cp/v1/agents/<agent>/roster`.

Retained and signed with the hub's event key (hub/users/roster_feed.py): every operator
who may log in at this office's desks, with the verifier of their desk PIN.  A document
is taken only when it is well formed, signed by the hub, for this office and not older
than the one the desk holds; anything else raises `WireError` with the reason, and the
desk keeps what it had (agent/store/desk_operators.py).
"""

from __future__ import annotations

from protocol.keys import KeyDirectory
from protocol.wire import WireError, decode, verify
from protocol.wire.roster import ROSTER_MAX_BYTES

from agent.store import Store, desk_operators
from agent.sync.order_state import has_hub_key, moment

SENDER = "hub"


def receive(store: Store, raw: bytes, keys: KeyDirectory | None, office: str) -> int:
    """Check, verify and store one roster; returns how many operators may now log in here."""
    envelope = decode(raw, ROSTER_MAX_BYTES)
    if envelope.type != "desk.roster":
        raise WireError("wrong_type", f"expected a desk.roster, got a {envelope.type}")
    if envelope.agent != SENDER:
        raise WireError("wrong_sender", f"a desk roster comes from the hub, this one names {envelope.agent!r}")
    if not has_hub_key(keys):
        raise WireError("no_hub_key", "no key directory with the hub's key is cached yet, so the desk roster "
                        "cannot be verified; it is checked once the directory arrives")
    verify(envelope, keys, owner=SENDER)
    if envelope.body["office"] != office:
        raise WireError("wrong_office", f"the desk roster is for office {envelope.body['office']!r}, "
                        f"this desk is in {office!r}")
    held = desk_operators.heard_at(store)
    if held and moment(envelope.time) < moment(held):
        raise WireError("stale", f"the desk roster of {envelope.time} is older than the one of {held} this desk "
                        "holds; kept the newer")
    return desk_operators.replace(store, envelope.body["operators"], envelope.time)
