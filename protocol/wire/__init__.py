"""The wire between agent and hub: topics, the signed envelope, message schemas."""

from protocol.wire.envelope import MAX_MESSAGE_BYTES, WIRE_VERSION, Envelope, decode, make, new_message_id, utc_now, verify
from protocol.wire.errors import WireError
from protocol.wire.messages import EVENT_TYPES, SCHEMAS, TYPES, validate_body

__all__ = ["Envelope", "MAX_MESSAGE_BYTES", "WIRE_VERSION", "WireError", "decode", "make", "new_message_id",
           "utc_now", "verify", "EVENT_TYPES", "SCHEMAS", "TYPES", "validate_body"]
