"""The PKI tables: enrollment tokens, issued agent certificates, the key directory.

Times are RFC 3339 UTC strings like every hub table (hub/store/timeutil.py).
Enrollment tokens are stored only as a SHA-256 hash: the token is shown once.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from hub.store.metadata import metadata

enrollment_tokens = Table(
    "enrollment_tokens", metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("office", String(64), nullable=False),            # the agent enrolled with it belongs here
    Column("agent_id", String(64)),                          # if set, only this agent id may use it
    Column("note", String(200)),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("used_at", String(40)),                           # single use: set once, in the enrolling transaction
    Column("used_by", String(64)),
    Column("revoked_at", String(40)),
    Column("revoked_by", String(200)),
)

agent_certificates = Table(
    "agent_certificates", metadata,
    Column("serial", String(40), primary_key=True),          # hex, as OpenSSL and the CRL show it
    Column("agent_id", String(64), nullable=False),
    Column("office", String(64), nullable=False),
    Column("token_id", Integer),
    Column("issued_at", String(40), nullable=False),
    Column("not_after", String(40), nullable=False),
    Column("certificate_pem", Text, nullable=False),
    Column("kid", String(16)),                               # the Ed25519 key registered with it
    Column("revoked_at", String(40)),
    Column("revoked_reason", String(200)),
    Index("ix_agent_certificates_agent", "agent_id"),
)

directory_keys = Table(
    "directory_keys", metadata,
    Column("kid", String(16), primary_key=True),
    Column("owner", String(64), nullable=False),             # 'hub' or an agent id
    Column("public_key", String(64), nullable=False),        # base64 of the raw 32-byte Ed25519 key
    Column("uses", String(64), nullable=False),              # comma-separated: order,event,receipt
    Column("added_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("revoked_reason", String(200)),
    Index("ix_directory_keys_owner", "owner"),
)

PKI_TABLES = (enrollment_tokens, agent_certificates, directory_keys)
