"""Whatever arrives on an agent topic, the ingest's checks either accept a genuine
signed envelope or reject with a reason code: they never raise anything else."""

from __future__ import annotations

import base64
import json

from hypothesis import given, settings, strategies as st

from protocol.keys import KeyDirectory
from protocol.wire import topics
from hub.ingest.checks import Rejected, check
from tests.hub.agents import FakeAgent

AGENT = FakeAgent("fuzz-desk")
DIRECTORY = KeyDirectory()
AGENT.enroll(DIRECTORY)
GENUINE = AGENT.payment(1234).encode()

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=4), max_leaves=20)


def _outcome(topic: str, payload: bytes) -> str:
    try:
        check(topic, payload, DIRECTORY)
        return "accepted"
    except Rejected as rejected:
        assert rejected.reason and str(rejected)
        return rejected.reason


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_are_rejected_with_a_reason(payload):
    assert _outcome(topics.events(AGENT.agent_id), payload) != "accepted"


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["v", "id", "agent", "seq", "time", "type", "body", "kid", "sig", "x"]),
                       json_values, max_size=9))
def test_envelope_shaped_junk_is_rejected_with_a_reason(document):
    payload = json.dumps(document).encode()
    assert _outcome(topics.events(AGENT.agent_id), payload) != "accepted"


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(GENUINE) - 1), st.integers(min_value=0, max_value=255))
def test_a_changed_byte_in_a_genuine_event_is_never_accepted(position, value):
    mutated = bytearray(GENUINE)
    if mutated[position] == value:
        return
    mutated[position] = value
    if _outcome(topics.events(AGENT.agent_id), bytes(mutated)) == "accepted":
        # Only a different spelling of the same signature may pass: base64url's last
        # character carries spare bits that decoders ignore.  Everything signed is equal.
        original, changed = json.loads(GENUINE), json.loads(bytes(mutated))
        assert {k: v for k, v in original.items() if k != "sig"} == {k: v for k, v in changed.items() if k != "sig"}
        assert _sig_bytes(original["sig"]) == _sig_bytes(changed["sig"])


def _sig_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_genuine_event_is_accepted_and_topics_must_be_agent_topics():
    assert _outcome(topics.events(AGENT.agent_id), GENUINE) == "accepted"
    assert _outcome("cp/v1/agents/fuzz-desk/acks", GENUINE) == "bad_topic"
    assert _outcome("cp/v1/agents/other-desk/events", GENUINE) == "agent_mismatch"
    assert _outcome("elsewhere", GENUINE) == "bad_topic"
