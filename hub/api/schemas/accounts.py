"""The offices' bank accounts as the API reads and writes them."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from hub.api.schemas.base import Schema
from hub.free_text import FreeText


class BankAccountOut(Schema):
    id: int
    office: str
    iban: str = Field(description="ISO 13616, compact and upper case")
    holder: str | None = Field(description="the beneficiary name on EPC and ZBP codes")
    bank: str | None
    purpose: str | None
    active_from: str | None = Field(description="YYYY-MM-DD, the first day it is used; null: since ever")
    active_to: str | None = Field(description="YYYY-MM-DD, the last day it is used (set by closing); null: open")


class BankAccountIn(Schema):
    model_config = ConfigDict(extra="forbid")
    office: str = Field(min_length=1, max_length=64, description="the office the account belongs to")
    iban: str = Field(min_length=1, max_length=64,
                      description="the IBAN in any spacing or case; a Polish 26-digit NRB is taken as PL…")
    holder: FreeText | None = Field(default=None, max_length=200)
    bank: FreeText | None = Field(default=None, max_length=200)
    purpose: FreeText | None = Field(default=None, max_length=400)
    active_from: dt.date | None = None


class BankAccountClose(Schema):
    model_config = ConfigDict(extra="forbid")
    active_to: dt.date | None = Field(default=None, description="the last day it is used; default: today")
