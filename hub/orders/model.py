"""The payment order a caller asks for, validated field by field (422 names the field)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from protocol.domain import ReferenceFormat
from hub.config import PAYER_LANGUAGES
from hub.finance.accounts import clean_iban
from hub.free_text import FreeText

# The references the hub makes for a payment order: an ISO 11649 creditor reference, or a
# pagoPA notice (which needs the office's fiscal code).
ORDER_REFERENCE_FORMATS = (ReferenceFormat.RF.value, ReferenceFormat.PAGOPA.value)


PayerLanguage = Literal[PAYER_LANGUAGES]
# A working address, not RFC 5322's every corner: one @, no spaces, a dotted domain.
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"


class PayerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FreeText | None = Field(default=None, max_length=200)
    id: FreeText | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN,
                              description="where the notice is mailed")
    language: PayerLanguage | None = Field(default=None, description="of the notice and the e-mail; default: "
                                           "the hub's [orders] language")
    address: FreeText | None = Field(default=None, max_length=400,
                                     description="postal address, lines separated by newlines")


class OrderRequest(BaseModel):
    """amount_kind 'fixed' needs amount_minor; 'open' takes any amount (amount_minor = expected total, optional)."""
    model_config = ConfigDict(extra="forbid")
    amount_kind: Literal["fixed", "open"] = "fixed"
    # Strict: "100" and true are not amounts (true would be an order of 1 minor unit).
    amount_minor: int | None = Field(default=None, strict=True, ge=1, le=10**13)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    reference_format: Literal[ORDER_REFERENCE_FORMATS] = ReferenceFormat.RF
    case_ref: str | None = Field(default=None, max_length=200)
    office: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                               description="the office the order belongs to; its staff see and change it")
    payer: PayerIn | None = None
    description: FreeText | None = Field(default=None, max_length=400)
    due_date: dt.date | None = None
    positions: list[FreeText] = Field(default_factory=list, max_length=50,
                                 description="fee catalogue position codes this order is for")
    account: str | None = Field(default=None, max_length=64,
                                description="the IBAN of the office's bank account it is paid into; default: the "
                                            "account its catalogue positions name, if any")

    @field_validator("account")
    @classmethod
    def _account_iban(cls, account: str | None) -> str | None:
        # The IBAN's own checks here (422 names the field); whose account it is, in the service.
        return clean_iban(account) if account and account.strip() else None

    @field_validator("positions")
    @classmethod
    def _position_codes(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if not code or len(code) > 64 or "," in code:
                raise PydanticCustomError("orders_position_code",
                                          "position code {code} must be 1-64 characters without commas", {"code": code})
        return codes

    @model_validator(mode="after")
    def _amount_fits_kind(self) -> "OrderRequest":
        if self.amount_kind == "fixed" and self.amount_minor is None:
            raise PydanticCustomError("orders_amount_required", "amount_minor is required for a fixed-amount order")
        if self.reference_format == ReferenceFormat.PAGOPA and self.currency != "EUR":
            raise PydanticCustomError("orders_pagopa_eur", "pagoPA notices are in EUR only")
        return self


class OrderChange(BaseModel):
    """The fields of an unpaid order that may change; a field left out stays as it is, null clears it."""
    model_config = ConfigDict(extra="forbid")
    amount_minor: int | None = Field(default=None, strict=True, ge=1, le=10**13)
    case_ref: str | None = Field(default=None, max_length=200)
    # Screened like a new order's (hub/free_text.py): a changed name or note holds no card number.
    payer_name: FreeText | None = Field(default=None, max_length=200)
    payer_id: FreeText | None = Field(default=None, max_length=64)
    payer_email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    payer_language: PayerLanguage | None = None
    payer_address: FreeText | None = Field(default=None, max_length=400)
    description: FreeText | None = Field(default=None, max_length=400)
    due_date: dt.date | None = None


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: FreeText = Field(min_length=1, max_length=400, description="read by the payer and at the counter")
