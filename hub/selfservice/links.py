"""Download links of the self-service page: signed, expiring, and bound to one matched lookup.

A link names the order, what to download (`notice`, or `receipt:<payment row id>`), the
language and when it expires, and carries an HMAC-SHA256 of all that under a key derived from
the hub's order-signing key ([keys] order_key), so every hub process with that key honours
it and no one can make one by guessing an order id or a payment number: only a lookup that
matched hands them out.  Links expire after LINK_TTL_S.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from protocol.keys import SigningKey

LINK_TTL_S = 15 * 60
MAX_TOKEN = 2048
"""Longer than any link we make (an order id of 32 characters, a receipt's row number); a longer
token is not read at all."""
_LABEL = b"counterpay self-service download links v1"


@dataclass(frozen=True)
class Link:
    order_id: str
    what: str            # "notice" | "receipt:<payments.id>"
    language: str
    expires: int         # Unix time


def link_key(order_key: SigningKey) -> bytes:
    raw = order_key.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                              serialization.NoEncryption())
    return hmac.new(raw, _LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make(key: bytes, order_id: str, what: str, language: str, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + LINK_TTL_S)
    body = _b64(json.dumps([order_id, what, language, expires], separators=(",", ":")).encode())
    token = f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"
    if len(token) > MAX_TOKEN:
        raise ValueError(f"a download link of {len(token)} characters: more than {MAX_TOKEN}")
    return token


def read(key: bytes, token: str, *, now: float | None = None) -> Link | None:
    """The link a token stands for, or None: not ours, altered or expired."""
    body, _, signature = (token or "").partition(".")
    if not body or len(token) > MAX_TOKEN:
        return None
    try:
        given = _unb64(signature)
        expected = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(given, expected):
            return None
        order_id, what, language, expires = json.loads(_unb64(body))
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        return None
    if not all(isinstance(v, str) for v in (order_id, what, language)) or not isinstance(expires, int):
        return None
    if expires < (time.time() if now is None else now):
        return None
    return Link(order_id, what, language, expires)
