"""Standard Webhooks 1.0: signing and verifying the confirmations the hub sends to case systems.

Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md

A delivery carries three headers:

- ``webhook-id``: the message id, the same on every retry of one confirmation, so the
  receiver can drop duplicates;
- ``webhook-timestamp``: Unix seconds when this attempt was signed;
- ``webhook-signature``: one or more space-separated ``v1,<base64 HMAC-SHA256>`` of
  ``"{id}.{timestamp}.{body}"``.  During secret rotation the sender signs with the
  current and the previous secret, so a receiver holding either one accepts.

Secrets are written ``whsec_<base64 of the key bytes>``.  The receiver rejects a
timestamp more than ``DEFAULT_TOLERANCE_S`` away from its clock (spec: "e.g. 5
minutes"), which stops an old captured delivery being replayed.

Pure code: the caller gives the time, the id and the body; nothing here reads a clock
or a socket (only `new_secret` draws random bytes).

>>> key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
>>> sign([key], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
# The spec's own example tolerance; Svix and the reference libraries use the same.
DEFAULT_TOLERANCE_S = 5 * 60
# The spec recommends secrets of 24 to 64 random bytes.
SECRET_BYTES = 32
MIN_SECRET_BYTES = 16
MAX_SECRET_BYTES = 64
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


class WebhookSignatureError(ValueError):
    """A delivery that must be refused. `reason` is a short code for counters and logs."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class WebhookSecretError(ValueError):
    """A secret that is not ``whsec_<base64>`` of 16 to 64 bytes."""


def new_secret() -> str:
    """A fresh random secret in the ``whsec_`` form."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_…`` secret, or WebhookSecretError saying what is wrong."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise WebhookSecretError("a webhook secret must start with 'whsec_' followed by base64")
    encoded = secret[len(SECRET_PREFIX):]
    try:
        # Unpadded base64 is common in the wild; the reference libraries accept it too.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSecretError("the part after 'whsec_' is not valid base64") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise WebhookSecretError(
            f"a webhook secret must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, this one holds {len(key)}")
    return key


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = msg_id.encode("utf-8") + b"." + str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,…`` entry per secret, space-separated."""
    entries = [f"{SIGNATURE_VERSION},{base64.b64encode(_digest(secret_key(s), msg_id, timestamp, body)).decode()}"
               for s in secrets]
    if not entries:
        raise WebhookSecretError("at least one secret is needed to sign a webhook")
    return " ".join(entries)


def signed_headers(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(int(timestamp)),
        SIGNATURE_HEADER: sign(secrets, msg_id, timestamp, body),
    }


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, *, now: float,
           tolerance_s: float | None = DEFAULT_TOLERANCE_S) -> str:
    """Check a delivery; return its webhook id or raise WebhookSignatureError.

    `headers` may use any letter case.  `tolerance_s=None` skips the age check (only for
    tools that replay recorded deliveries; a live receiver must keep it).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [h for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not lowered.get(h)]
    if missing:
        raise WebhookSignatureError("missing_header", f"missing header(s): {', '.join(missing)}")
    msg_id, raw_ts, raw_sig = lowered[ID_HEADER], lowered[TIMESTAMP_HEADER], lowered[SIGNATURE_HEADER]
    if not raw_ts.isascii() or not raw_ts.isdigit():
        raise WebhookSignatureError("bad_timestamp", f"webhook-timestamp {raw_ts[:32]!r} is not Unix seconds")
    timestamp = int(raw_ts)
    if tolerance_s is not None and abs(now - timestamp) > tolerance_s:
        direction = "old" if timestamp < now else "far in the future"
        raise WebhookSignatureError(
            "stale_timestamp", f"webhook-timestamp is {abs(now - timestamp):.0f} s {direction} "
                               f"(tolerance {tolerance_s:.0f} s): a replay or a wrong clock")
    keys = [secret_key(s) for s in secrets]
    if not keys:
        raise WebhookSecretError("at least one secret is needed to verify a webhook")
    offered = []
    for entry in raw_sig.split(" "):
        version, _, encoded = entry.partition(",")
        if version != SIGNATURE_VERSION or not encoded:
            continue  # other schemes (v1a asymmetric) may sit beside ours; the spec says skip them
        try:
            offered.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not offered:
        raise WebhookSignatureError("no_v1_signature", "webhook-signature holds no well-formed v1 signature")
    for key in keys:
        expected = _digest(key, msg_id, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return msg_id
    raise WebhookSignatureError(
        "signature_mismatch", "no v1 signature matches our secret(s): wrong secret, or the body was changed")
