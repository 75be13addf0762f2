"""Enrollment: a one-time token turns an agent's CSR into its broker certificate.

An operator creates a token for an office (shown once, stored hashed, with an expiry);
the technician types it into the new counter PC; the agent sends the token, its agent
id, a CSR whose CN is that id and its Ed25519 event/receipt public key.  In ONE
transaction the token is consumed, the certificate issued and recorded, the signing key
added to the key directory, the agent registered and the audit row written: a failure
anywhere leaves the token unused and nothing half-enrolled.

Every refusal is an `EnrollmentRefused` of one kind (invalid, forbidden, conflict, not
found), with a stable code and a sentence for the technician.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.errors import Conflict, Forbidden, HubError, InvalidInput, NotFound
from hub.pki import keydir
from hub.pki.ca import (HUB_CLIENT_CN, HUB_COMMAND_CN, CertificateAuthority, CsrProblem, cert_pem, csr_common_name,
                        is_hub_identity, parse_csr, serial_hex)
from hub.store.tables import agents
from hub.store.tables_pki import agent_certificates, enrollment_tokens
from hub.store.timeutil import iso, now_iso, parse
from protocol.keys import PublicKeyEntry, key_id
from protocol.wire.topics import TopicError, check_agent_id

TOKEN_PREFIX = "cpe_"
DEFAULT_TOKEN_HOURS = 72       # long enough to ship a PC to an office, short enough to not linger
MAX_TOKEN_HOURS = 24 * 30
RESERVED_IDS = frozenset({HUB_CLIENT_CN, HUB_COMMAND_CN})
"""Examples of the reserved namespace: ``hub`` and every ``hub-*`` name (hub.pki.ca.is_hub_identity)."""


class EnrollmentRefused(HubError):
    """Enrollment (or a token operation) was refused: `code` is stable for programs, the
    message is for the technician, and the subclass is the kind of refusal."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message

    def body(self) -> dict[str, Any]:
        return {"detail": {"code": self.code, "message": self.message}}


class EnrollmentInvalid(EnrollmentRefused, InvalidInput):
    """A value sent (office, agent id, CSR, signing key, expiry) cannot be accepted."""


class EnrollmentForbidden(EnrollmentRefused, Forbidden):
    """The enrollment token does not allow this enrollment."""


class EnrollmentConflict(EnrollmentRefused, Conflict):
    """The token, agent or key is already used."""


class EnrollmentNotFound(EnrollmentRefused, NotFound):
    """The token or agent named does not exist."""


@dataclass(frozen=True)
class EnrollmentRequest:
    token: str
    agent_id: str
    csr_pem: str
    signing_public_key: str     # base64 of the raw 32-byte Ed25519 public key


@dataclass(frozen=True)
class Enrollment:
    agent_id: str
    office: str
    certificate_pem: str
    serial: str
    kid: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def _utc(moment: dt.datetime | None) -> dt.datetime:
    return moment or dt.datetime.now(dt.timezone.utc)


# -- tokens -------------------------------------------------------------------------

def create_token(conn: Connection, office: str, actor: str, *, hours: float = DEFAULT_TOKEN_HOURS,
                 agent_id: str | None = None, note: str | None = None,
                 now: dt.datetime | None = None) -> tuple[str, dict[str, Any]]:
    """Create a token for `office`; returns (the token, shown only now, and its public record)."""
    office = (office or "").strip()
    if not office or len(office) > 64:
        raise EnrollmentInvalid("bad_office", "office must be 1-64 characters")
    if not 0 < hours <= MAX_TOKEN_HOURS:
        raise EnrollmentInvalid("bad_expiry", f"a token must expire within 0-{MAX_TOKEN_HOURS} hours, got {hours}")
    if agent_id is not None:
        _check_agent_id(agent_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    created = _utc(now)
    values = dict(token_hash=hash_token(token), office=office, agent_id=agent_id, note=note,
                  created_at=iso(created), created_by=actor,
                  expires_at=iso(created + dt.timedelta(hours=hours)))
    token_id = int(conn.execute(enrollment_tokens.insert().values(**values)).inserted_primary_key[0])
    record(conn, actor, "enrollment_token.create", f"enrollment_token:{token_id}",
           {"office": office, "agent_id": agent_id, "expires_at": values["expires_at"]})
    return token, describe_token({**values, "token_id": token_id, "used_at": None, "used_by": None,
                                  "revoked_at": None, "revoked_by": None})


def describe_token(row: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """The public face of a token row (never the hash)."""
    row = dict(row)
    if row.get("revoked_at"):
        status = "revoked"
    elif row.get("used_at"):
        status = "used"
    elif parse(row["expires_at"]) <= _utc(now):
        status = "expired"
    else:
        status = "open"
    return {"token_id": row["token_id"], "office": row["office"], "agent_id": row.get("agent_id"),
            "note": row.get("note"), "created_at": row["created_at"], "created_by": row["created_by"],
            "expires_at": row["expires_at"], "used_at": row.get("used_at"), "used_by": row.get("used_by"),
            "revoked_at": row.get("revoked_at"), "status": status}


def list_tokens(conn: Connection, *, office: str | None = None) -> list[dict[str, Any]]:
    query = select(enrollment_tokens).order_by(enrollment_tokens.c.token_id.desc())
    if office:
        query = query.where(enrollment_tokens.c.office == office)
    return [describe_token(row) for row in conn.execute(query).mappings()]


def revoke_token(conn: Connection, token_id: int, actor: str) -> dict[str, Any]:
    row = conn.execute(select(enrollment_tokens).where(enrollment_tokens.c.token_id == token_id)).mappings().first()
    if row is None:
        raise EnrollmentNotFound("token_unknown", f"there is no enrollment token {token_id}")
    if row["used_at"]:
        raise EnrollmentConflict("token_used", f"enrollment token {token_id} was already used by "
                                f"{row['used_by']}; revoke the agent instead")
    if not row["revoked_at"]:
        at = now_iso()
        conn.execute(enrollment_tokens.update().where(enrollment_tokens.c.token_id == token_id)
                     .values(revoked_at=at, revoked_by=actor))
        record(conn, actor, "enrollment_token.revoke", f"enrollment_token:{token_id}", {"office": row["office"]})
        row = {**row, "revoked_at": at, "revoked_by": actor}
    return describe_token(row)


# -- enrolling ----------------------------------------------------------------------

def _check_agent_id(agent_id: str) -> str:
    try:
        check_agent_id(agent_id)
    except TopicError as exc:
        raise EnrollmentInvalid("bad_agent_id", str(exc)) from None
    if agent_id in RESERVED_IDS or is_hub_identity(agent_id):
        raise EnrollmentInvalid("bad_agent_id", f"agent id {agent_id!r} is reserved for the hub itself "
                                "('hub' and every name starting with 'hub-'); choose another id")
    return agent_id


def _signing_key(text: str, agent_id: str) -> PublicKeyEntry:
    try:
        raw = base64.b64decode(text, validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, TypeError):
        raise EnrollmentInvalid("bad_signing_key", "signing_public_key must be the base64 of a raw 32-byte "
                                "Ed25519 public key") from None
    return PublicKeyEntry(kid=key_id(public), public_key=raw, owner=agent_id, uses=keydir.AGENT_KEY_USES)


def _claim_token(conn: Connection, token: str, agent_id: str, now: dt.datetime) -> Any:
    row = conn.execute(select(enrollment_tokens)
                       .where(enrollment_tokens.c.token_hash == hash_token(token or ""))).mappings().first()
    if row is None:
        raise EnrollmentForbidden("token_unknown", "the enrollment token is not known to this hub: check it was "
                                "typed exactly, or ask an operator for a new one")
    if row["revoked_at"]:
        raise EnrollmentForbidden("token_revoked", "the enrollment token was revoked; ask an operator for a new one")
    if row["used_at"]:
        raise EnrollmentForbidden("token_used", "the enrollment token was already used (tokens are single use); "
                                "ask an operator for a new one")
    if parse(row["expires_at"]) <= now:
        raise EnrollmentForbidden("token_expired", f"the enrollment token expired at {row['expires_at']}; "
                                "ask an operator for a new one")
    if row["agent_id"] and row["agent_id"] != agent_id:
        raise EnrollmentForbidden("token_agent_mismatch", f"this enrollment token is for agent "
                                f"{row['agent_id']!r}, not {agent_id!r}")
    return row


def enroll(conn: Connection, ca: CertificateAuthority, request: EnrollmentRequest, *,
           now: dt.datetime | None = None) -> Enrollment:
    """Check everything, then consume the token and issue the certificate (one transaction: the caller's)."""
    now = _utc(now)
    agent_id = _check_agent_id(request.agent_id)
    token_row = _claim_token(conn, request.token, agent_id, now)
    try:
        csr = parse_csr(request.csr_pem)
    except CsrProblem as exc:
        raise EnrollmentInvalid("bad_csr", str(exc)) from None
    cn = csr_common_name(csr)
    if cn != agent_id:
        raise EnrollmentInvalid("cn_mismatch", f"the CSR's common name is {cn!r} but the agent id is "
                                f"{agent_id!r}: the CN must be exactly the agent id")
    entry = _signing_key(request.signing_public_key, agent_id)
    active = conn.execute(select(agent_certificates.c.serial).where(
        agent_certificates.c.agent_id == agent_id, agent_certificates.c.revoked_at.is_(None))).first()
    if active:
        raise EnrollmentConflict("already_enrolled", f"agent {agent_id!r} is already enrolled (certificate "
                                f"{active[0]}); revoke it first to enroll this id again")
    known = keydir.owner_of(conn, entry.kid)
    if known is not None:
        raise EnrollmentConflict("key_reused", f"signing key {entry.kid} is already registered (owner "
                                f"{known}); generate a new key for this enrollment")
    # Consume the token only now; the WHERE makes it single use even when two requests race.
    claimed = conn.execute(enrollment_tokens.update()
                           .where(enrollment_tokens.c.token_id == token_row["token_id"],
                                  enrollment_tokens.c.used_at.is_(None))
                           .values(used_at=iso(now), used_by=agent_id)).rowcount
    if claimed != 1:
        raise EnrollmentForbidden("token_used", "the enrollment token was already used (tokens are single use)")
    cert = ca.issue_client(csr, agent_id)
    pem = cert_pem(cert).decode("ascii")
    serial = serial_hex(cert)
    office = token_row["office"]
    conn.execute(agent_certificates.insert().values(
        serial=serial, agent_id=agent_id, office=office, token_id=token_row["token_id"], issued_at=iso(now),
        not_after=iso(cert.not_valid_after_utc), certificate_pem=pem, kid=entry.kid))
    keydir.add_key(conn, entry)
    if not conn.execute(select(agents.c.agent_id).where(agents.c.agent_id == agent_id)).first():
        conn.execute(agents.insert().values(agent_id=agent_id, online=False))
    record(conn, f"enrollment_token:{token_row['token_id']}", "agent.enroll", f"agent:{agent_id}",
           {"office": office, "serial": serial, "kid": entry.kid})
    return Enrollment(agent_id=agent_id, office=office, certificate_pem=pem, serial=serial, kid=entry.kid)
