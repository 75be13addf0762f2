"""Verifying a scanned QR: the request and the verdict (structure and checks apart)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from hub.api.schemas.base import Schema


class VerifyRequest(BaseModel):
    payload: str = Field(min_length=1, max_length=4096)


class QrVerdict(Schema):
    format: str
    valid: bool
    structure_ok: bool
    checks_ok: bool | None = Field(description="null where the format has no check digits or they could not "
                                               "be checked")
    errors: list[str]
    fields: dict[str, Any] = Field(description="the format's fields; amount_minor and currency always present")
