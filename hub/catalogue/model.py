"""What a fee catalogue version holds, validated so every bad field is named.

A price list follows the Latvian service catalogue's payment block (seed 001):
legal acts, notes, accepted tenders, and positions: a parent position with
sub-positions, unit of measure, unit price with VAT in minor units, VAT rate in
basis points (2100 = 21 %), the legal act, whether it is mandatory, discounts; and, for
the finance office, the bank account (IBAN) its fees are paid into and an accounting code.

An office keeps its own fee dictionaries beside the shared ones: a catalogue version belongs
to the shared scope or to one office (hub.catalogue.service), in the same shape.  Its
`handling_fees` are the handling fee rules per service (price list): fixed and/or a
percentage, held between a minimum and a maximum, on the tenders named, charged with the
payment or taken apart in cash (protocol.fees computes them: half up to the minor unit).

A price list's own checks raise typed errors (`position_codes_repeat`, `parent_unknown`,
`parent_is_sub_position`, `price_required`, `price_list_codes_repeat`) with their
values, so the console can say them in the user's language; the API shows the message.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from hub.finance.accounts import clean_iban
from protocol import fees
from protocol.domain import Tender, TenderValue

Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


class Discount(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    percent_bp: int | None = Field(default=None, strict=True, ge=1, le=10_000)
    amount_minor: int | None = Field(default=None, strict=True, ge=1, le=10**12)

    @model_validator(mode="after")
    def _one_kind(self) -> "Discount":
        if (self.percent_bp is None) == (self.amount_minor is None):
            raise PydanticCustomError("discount_kind", "a discount has either percent_bp or amount_minor")
        return self


class Position(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Code
    parent: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(default="piece", min_length=1, max_length=40)
    # Strict integers: "100" and true are not prices.  With VAT; None for a pure parent.
    unit_price_minor: int | None = Field(default=None, strict=True, ge=0, le=10**12)
    vat_rate_bp: int = Field(default=0, strict=True, ge=0, le=10_000)
    legal_act: str | None = Field(default=None, max_length=400)
    notes: str | None = Field(default=None, max_length=2000)     # shown to the clerk beside the legal act
    mandatory: bool = False
    discounts: list[Discount] = Field(default_factory=list, max_length=20)
    tenders: list[TenderValue] = Field(default_factory=lambda: list(Tender), min_length=1)
    # The IBAN of the office's bank account its fees are paid into (an order of the position takes it),
    # and the code accounting exports book it under.
    account: str | None = Field(default=None, max_length=64)
    accounting_code: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("account")
    @classmethod
    def _account_iban(cls, account: str | None) -> str | None:
        # Only the IBAN's own checks: the catalogue serves every office, so whose account it is
        # is checked when an order of an office is priced from the position.
        return clean_iban(account) if account and account.strip() else None


class PriceList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    service_step: int | None = Field(default=None, strict=True, ge=1, le=10**9)
    legal_acts: list[str] = Field(default_factory=list, max_length=50)
    notes: str | None = Field(default=None, max_length=2000)
    positions: list[Position] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _tree(self) -> "PriceList":
        codes = [p.code for p in self.positions]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise PydanticCustomError("position_codes_repeat", "position codes repeat: {codes}",
                                      {"codes": ", ".join(duplicates)})
        by_code = {p.code: p for p in self.positions}
        for position in self.positions:
            if position.parent is None:
                continue
            parent = by_code.get(position.parent)
            if parent is None:
                raise PydanticCustomError("parent_unknown", "position {code}: parent {parent} is not in this price list",
                                          {"code": position.code, "parent": position.parent})
            if parent.parent is not None:
                raise PydanticCustomError("parent_is_sub_position",
                                          "position {code}: parent {parent} is itself a sub-position",
                                          {"code": position.code, "parent": parent.code})
        children = {p.parent for p in self.positions if p.parent}
        for position in self.positions:
            if position.code not in children and position.unit_price_minor is None:
                raise PydanticCustomError("price_required",
                                          "position {code} has no sub-positions, so it needs unit_price_minor",
                                          {"code": position.code})
        return self


class HandlingFee(BaseModel):
    """The handling fee of one service (price list `price_list`; in an office's catalogue it may
    name a shared price list: the office's rule takes the shared one's place at its desks)."""
    model_config = ConfigDict(extra="forbid")
    price_list: str = Code
    name: str | None = Field(default=None, min_length=1, max_length=200)   # the receipt's line; default "Handling fee"
    fixed_minor: int = Field(default=0, strict=True, ge=0, le=10**9)
    percent_bp: int = Field(default=0, strict=True, ge=0, le=10_000)
    min_minor: int = Field(default=0, strict=True, ge=0, le=10**9)
    max_minor: int | None = Field(default=None, strict=True, ge=0, le=10**9)
    tenders: list[TenderValue] = Field(default_factory=lambda: [Tender.CARD], min_length=1)
    collect: str = Field(default=fees.COLLECT_WITH_PAYMENT, pattern=f"^({'|'.join(fees.COLLECT_MODES)})$")
    accounting_code: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _sensible(self) -> "HandlingFee":
        if not (self.fixed_minor or self.percent_bp or self.min_minor):
            raise PydanticCustomError("fee_empty", "handling fee of {price_list}: give fixed_minor, percent_bp "
                                      "or min_minor", {"price_list": self.price_list})
        if self.max_minor is not None and self.max_minor < self.min_minor:
            raise PydanticCustomError("fee_min_above_max", "handling fee of {price_list}: min_minor is above "
                                      "max_minor", {"price_list": self.price_list})
        return self


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    price_lists: list[PriceList] = Field(default_factory=list, max_length=500)
    handling_fees: list[HandlingFee] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _unique_lists(self) -> "Catalogue":
        if not self.price_lists and not self.handling_fees:
            raise PydanticCustomError("catalogue_empty", "a catalogue needs a price list or a handling fee rule")
        codes = [p.code for p in self.price_lists]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise PydanticCustomError("price_list_codes_repeat", "price list codes repeat: {codes}",
                                      {"codes": ", ".join(duplicates)})
        fee_lists = [f.price_list for f in self.handling_fees]
        duplicates = sorted({c for c in fee_lists if fee_lists.count(c) > 1})
        if duplicates:
            raise PydanticCustomError("fee_rules_repeat", "handling fee rules repeat for price lists: {codes}",
                                      {"codes": ", ".join(duplicates)})
        return self
