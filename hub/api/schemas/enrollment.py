"""Enrollment: the requests, the agent's certificate and credentials, tokens, revocation, keys."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hub.api.schemas.base import Schema
from hub.free_text import FreeText
from hub.pki.enrollment import DEFAULT_TOKEN_HOURS, MAX_TOKEN_HOURS


class EnrollBody(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="the one-time enrollment token")
    agent_id: str = Field(min_length=1, max_length=63, description="also the certificate CN and broker username")
    csr_pem: str = Field(min_length=1, max_length=20000, description="PEM CSR whose CN is the agent id")
    signing_public_key: str = Field(min_length=1, max_length=200,
                                    description="base64 of the agent's raw 32-byte Ed25519 event/receipt key")


class TokenBody(BaseModel):
    office: FreeText = Field(min_length=1, max_length=64)
    expires_in_hours: float = Field(DEFAULT_TOKEN_HOURS, gt=0, le=MAX_TOKEN_HOURS)
    agent_id: str | None = Field(None, description="if set, only this agent id may enroll with the token")
    note: FreeText | None = Field(None, max_length=200)


class RevokeBody(BaseModel):
    reason: FreeText = Field("revoked", min_length=1, max_length=200)


class PublicKey(Schema):
    kid: str
    public_key: str = Field(description="base64 of the raw 32-byte Ed25519 public key")
    owner: str
    uses: list[str]
    revoked_at: str | None
    revoked_reason: str | None


class KeyDirectory(Schema):
    version: int
    keys: list[PublicKey]


class Broker(Schema):
    host: str
    port: int


class Enrolled(Schema):
    agent_id: str
    office: str
    certificate_pem: str
    ca_pem: str
    key_directory: KeyDirectory
    broker: Broker
    kid: str = Field(description="the key id of the agent's signing key")
    api_token: str = Field(description="the agent's own API token (role agent), shown only now")


class EnrollmentToken(Schema):
    token_id: int
    office: str
    agent_id: str | None
    note: str | None
    created_at: str
    created_by: str
    expires_at: str
    used_at: str | None
    used_by: str | None
    revoked_at: str | None
    status: Literal["open", "used", "expired", "revoked"]


class EnrollmentTokenCreated(EnrollmentToken):
    token: str = Field(description="shown only now: the hub keeps only its hash")


class AgentRevoked(Schema):
    agent_id: str
    revoked_at: str
    reason: str
    serials: list[str]
    kids: list[str]
    broker_reloaded: bool = Field(description="false when no local broker runs: reload a remote one by hand")
    connection_cut: bool = Field(description="true when the agent's open broker connection, if any, was closed")
