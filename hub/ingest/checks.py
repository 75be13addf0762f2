"""Checks every MQTT message passes before the hub stores it, each failure a reason code.

topic shape → size → envelope (JSON, version, type, body schema) → the topic's
agent is the envelope's agent → the type belongs on that topic → the agent is
enrolled (has an event key) → the signature is the agent's.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.keys import KeyDirectory
from protocol.wire import EVENT_TYPES, Envelope, WireError, decode, verify
from protocol.wire.envelope import MAX_MESSAGE_BYTES
from protocol.wire.messages import REQUEST_TYPES
from protocol.wire.topics import TopicError, split

STATE_TYPES = frozenset({"birth", "will"})


class Rejected(Exception):
    def __init__(self, reason: str, message: str, agent: str | None = None):
        super().__init__(message)
        self.reason, self.agent = reason, agent


@dataclass(frozen=True)
class Checked:
    kind: str            # events | state
    envelope: Envelope


def enrolled(directory: KeyDirectory, agent: str) -> bool:
    return directory.has_key(agent, "event")


def check(topic: str, payload: bytes, directory: KeyDirectory, max_bytes: int = MAX_MESSAGE_BYTES) -> Checked:
    try:
        agent, kind = split(topic)
    except TopicError as exc:
        raise Rejected("bad_topic", str(exc)) from None
    if kind not in ("events", "state"):
        raise Rejected("bad_topic", f"the hub does not consume {kind!r} topics ({topic})", agent)
    if kind == "state" and not payload:
        raise Rejected("empty_state", "empty retained message (a cleared birth)", agent)
    try:
        envelope = decode(payload, max_bytes)
    except WireError as exc:
        raise Rejected(exc.reason, str(exc), agent) from None
    if envelope.agent != agent:
        raise Rejected("agent_mismatch", f"topic is agent {agent}'s but the envelope says {envelope.agent}", agent)
    allowed = (EVENT_TYPES | REQUEST_TYPES) if kind == "events" else STATE_TYPES
    if envelope.type not in allowed:
        raise Rejected("wrong_topic_type", f"a {envelope.type} does not belong on {topic}", agent)
    if not enrolled(directory, agent):
        raise Rejected("not_enrolled", f"agent {agent} has no event key in the key directory", agent)
    try:
        verify(envelope, directory, owner=agent)
    except WireError as exc:
        raise Rejected(exc.reason, str(exc), agent) from None
    return Checked(kind, envelope)
