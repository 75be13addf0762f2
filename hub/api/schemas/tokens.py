"""API tokens: the request to make one, the token shown once, and the list (never the tokens)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hub.api.schemas.base import FreeText, Schema


class TokenRequest(BaseModel):
    name: FreeText = Field(min_length=1, max_length=100)
    role: str = Field(pattern=r"^(admin|operator|auditor|case-system)$")


class TokenCreated(Schema):
    id: int
    name: str
    role: str
    token: str = Field(description="shown only now: the hub keeps only its hash")
    note: str


class ApiToken(Schema):
    id: int
    name: str
    role: str
    created_at: str
    created_by: str
    revoked_at: str | None


class TokenRevoked(Schema):
    id: int
    revoked: bool
