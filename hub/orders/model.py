"""The payment order a caller asks for, validated field by field (422 names the field)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.api.schemas.base import FreeText


class PayerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FreeText | None = Field(default=None, max_length=200)
    id: FreeText | None = Field(default=None, max_length=64)


class OrderRequest(BaseModel):
    """amount_kind 'fixed' needs amount_minor; 'open' takes any amount (amount_minor = expected total, optional)."""
    model_config = ConfigDict(extra="forbid")
    amount_kind: Literal["fixed", "open"] = "fixed"
    amount_minor: int | None = Field(default=None, ge=1, le=10**13)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    reference_format: Literal["rf", "pagopa"] = "rf"
    case_ref: FreeText | None = Field(default=None, max_length=200)
    payer: PayerIn | None = None
    description: FreeText | None = Field(default=None, max_length=400)
    due_date: dt.date | None = None
    positions: list[FreeText] = Field(default_factory=list, max_length=50,
                                 description="fee catalogue position codes this order is for")

    @field_validator("positions")
    @classmethod
    def _position_codes(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if not code or len(code) > 64 or "," in code:
                raise ValueError(f"position code {code!r} must be 1-64 characters without commas")
        return codes

    @model_validator(mode="after")
    def _amount_fits_kind(self) -> "OrderRequest":
        if self.amount_kind == "fixed" and self.amount_minor is None:
            raise ValueError("amount_minor is required for a fixed-amount order")
        if self.reference_format == "pagopa" and self.currency != "EUR":
            raise ValueError("pagoPA notices are in EUR only")
        return self
