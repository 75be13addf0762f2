"""The signed event envelope every message between agent and hub travels in.

    {"v": 1, "id": "<message id fixed at creation>", "agent": "<agent id>",
     "seq": <per-agent sequence, survives restarts>, "time": "<RFC 3339 UTC>",
     "type": "<message type>", "body": {...}, "kid": "<signing key id>",
     "sig": "<base64url Ed25519 signature over the canonical bytes of all other fields>"}

`decode()` checks size, JSON, version, type and the body schema, and says exactly
what was wrong; `verify()` checks the signature against a key directory.  Messages
from the hub (acks, commands) use the same envelope with agent set to the agent they
are for and the hub's key; a hub broadcast (order.state) names agent "hub" (reserved: no
agent enrolls under it) and may be up to messages.ORDER_STATE_MAX_BYTES (`decode(raw, max_bytes)`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from protocol import fastjson
from protocol.canonical import CanonicalError, canonical_bytes
from protocol.keys import KeyDirectory, SigningKey, VerificationFailure
from protocol.wire import messages
from protocol.wire.errors import WireError
from protocol.wire.topics import AGENT_ID_RE

WIRE_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024
"""A payment event is well under 4 KiB; 64 KiB leaves room for an end-of-day report
while keeping one malicious client from making the hub parse megabytes."""

FIELDS = ("v", "id", "agent", "seq", "time", "type", "body", "kid", "sig")


def new_message_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Envelope:
    id: str
    agent: str
    seq: int
    time: str
    type: str
    body: dict[str, Any]
    kid: str = ""
    sig: str = ""
    v: int = WIRE_VERSION
    # True when every field passed the strict schemas (decode() and make() set it), so the
    # canonical-bytes walk for floats can be skipped when verifying.
    schema_checked: bool = field(default=False, compare=False, repr=False)

    def unsigned_document(self) -> dict[str, Any]:
        return {"v": self.v, "id": self.id, "agent": self.agent, "seq": self.seq,
                "time": self.time, "type": self.type, "body": self.body, "kid": self.kid}

    def signing_bytes(self) -> bytes:
        return canonical_bytes(self.unsigned_document(), check=not self.schema_checked)

    def signed(self, key: SigningKey) -> "Envelope":
        unsigned = Envelope(self.id, self.agent, self.seq, self.time, self.type, self.body, key.kid, "", self.v)
        signature = base64.urlsafe_b64encode(key.sign(unsigned.signing_bytes())).decode("ascii").rstrip("=")
        return Envelope(self.id, self.agent, self.seq, self.time, self.type, self.body, key.kid, signature, self.v)

    def encode(self) -> bytes:
        document = self.unsigned_document()
        document["sig"] = self.sig
        return canonical_bytes(document)


def make(agent: str, seq: int, type_: str, body: dict[str, Any], key: SigningKey,
         message_id: str | None = None, time: str | None = None) -> Envelope:
    """Build, validate and sign an envelope (the body is checked against its schema)."""
    messages.validate_body(type_, body)
    envelope = Envelope(message_id or new_message_id(), agent, seq, time or utc_now(), type_, body)
    try:
        return envelope.signed(key)
    except CanonicalError as exc:
        raise WireError("not_canonical", str(exc)) from None


def decode(raw: bytes, max_bytes: int = MAX_MESSAGE_BYTES) -> Envelope:
    """Parse and check an envelope's shape and body schema (not its signature)."""
    if len(raw) > max_bytes:
        raise WireError("oversized", f"message is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        document = fastjson.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError("not_json", f"message is not UTF-8 JSON: {exc}") from None
    if not isinstance(document, dict):
        raise WireError("not_object", "message is not a JSON object")
    version = document.get("v")
    if version != WIRE_VERSION:
        raise WireError("unknown_version", f"wire version {version!r} is not supported (expected {WIRE_VERSION})")
    missing = [name for name in FIELDS if name not in document]
    if missing:
        raise WireError("missing_field", f"envelope lacks {', '.join(missing)}")
    extra = sorted(set(document) - set(FIELDS))
    if extra:
        raise WireError("unknown_field", f"envelope has unknown fields {', '.join(extra)}")
    checks = (("id", str), ("agent", str), ("time", str), ("type", str), ("body", dict), ("kid", str), ("sig", str))
    for name, kind in checks:
        if not isinstance(document[name], kind):
            raise WireError("bad_field", f"envelope field {name!r} must be a {kind.__name__}")
    seq = document["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= messages.MAX_BIGINT:
        raise WireError("bad_field", f"envelope field 'seq' must be an integer from 0 to {messages.MAX_BIGINT} "
                        "(the store keeps it as a signed 64-bit number)")
    if not (1 <= len(document["id"]) <= 64):
        raise WireError("bad_field", "message id must be 1-64 characters")
    if not AGENT_ID_RE.match(document["agent"]):
        raise WireError("bad_field", f"agent id {document['agent']!r} is not valid")
    if document["type"] not in messages.TYPES:
        raise WireError("unknown_type", f"message type {document['type']!r} is unknown "
                        f"(known: {', '.join(sorted(messages.TYPES))})")
    try:
        dt.datetime.fromisoformat(document["time"].replace("Z", "+00:00"))
    except ValueError:
        raise WireError("bad_field", f"time {document['time']!r} is not RFC 3339") from None
    messages.validate_body(document["type"], document["body"])
    return Envelope(document["id"], document["agent"], seq, document["time"], document["type"],
                    document["body"], document["kid"], document["sig"], version, schema_checked=True)


def decode_accepted(raw: str | bytes) -> Envelope:
    """Rebuild an envelope that `decode()` (and `verify()`) already accepted, from its
    exact text: no checks, for handing checked messages to another process cheaply."""
    document = fastjson.loads(raw)
    return Envelope(document["id"], document["agent"], document["seq"], document["time"], document["type"],
                    document["body"], document["kid"], document["sig"], document["v"], schema_checked=True)


def verify(envelope: Envelope, keys: KeyDirectory, *, owner: str | None) -> None:
    """Raise WireError unless the envelope is signed by a valid event key of `owner`."""
    try:
        padded = envelope.sig + "=" * (-len(envelope.sig) % 4)
        signature = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise WireError("bad_signature", "signature is not base64url") from None
    try:
        keys.verify(envelope.kid, signature, envelope.signing_bytes(), use="event", owner=owner)
    except VerificationFailure as failure:
        raise WireError(f"signature_{failure.reason}", str(failure)) from None
    except CanonicalError as exc:
        raise WireError("not_canonical", str(exc)) from None
