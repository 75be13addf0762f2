"""Case systems as the API shows them (secrets as fingerprints) and case lookups."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from hub.api.schemas.base import Schema
from hub.casesys.registry import Pattern


class CaseSystem(Schema):
    name: str
    patterns: list[Pattern]
    priority: int = Field(description="lower is tried first when several match")
    webhook_url: str
    lookup_url: str | None
    enabled: bool
    disabled_reason: str | None
    secret: str | None = Field(description="a fingerprint: enough to tell two secrets apart")
    previous_secret: str | None = Field(description="a fingerprint; still signed with during a rotation")
    internal: bool = Field(description="may be called on loopback, link-local or private addresses")
    created_at: str
    updated_at: str


class CaseSystemChanged(CaseSystem):
    """Only a generated secret is shown, and only in this answer."""
    generated_secret: str | None = None
    note: str | None = None
    routed_waiting_confirmations: int = Field(description="unrouted confirmations this change routed")


class CaseLookupAnswer(Schema):
    outcome: Literal["found", "unknown_case", "no_case_system", "unreachable", "refused"]
    ref: str
    case_system: str | None
    case: dict[str, Any] | None = Field(description="the case system's answer: amount_owed_minor, currency, "
                                                    "positions, payer, …")
    detail: str | None
    cached: bool
