"""API tokens: the request to make one, the token shown once, and the list (never the tokens)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from hub.api.schemas.base import Schema
from hub.free_text import FreeText

OfficeCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class TokenRequest(BaseModel):
    name: FreeText = Field(min_length=1, max_length=100)
    role: str = Field(pattern=r"^(admin|operator|auditor|case-system|metrics)$")
    case_system: str | None = Field(default=None, max_length=64,
                                    description="for a case-system token, and required for it: the registered "
                                                "case system whose cases, payments and orders it may read")
    offices: list[OfficeCode] | None = Field(default=None, min_length=1, max_length=200,
                                             description="the offices whose orders, payments and agents the token "
                                                         "may see and change; leave out for every office (not for "
                                                         "a case-system token, which its case system scopes)")

    @model_validator(mode="after")
    def _case_system_for_its_role(self) -> "TokenRequest":
        if self.role == "case-system" and self.offices is not None:
            raise ValueError("a case-system token is scoped by its case system: it takes no offices")
        if self.role == "case-system" and not self.case_system:
            raise ValueError("a case-system token belongs to one case system: name it in case_system")
        if self.role != "case-system" and self.case_system is not None:
            raise ValueError(f"only a case-system token names a case system, not a {self.role} token")
        return self


class TokenCreated(Schema):
    id: int
    name: str
    role: str
    case_system: str | None
    offices: list[str] | None
    token: str = Field(description="shown only now: the hub keeps only its hash")
    note: str


class ApiToken(Schema):
    id: int
    name: str
    role: str
    case_system: str | None
    offices: list[str] | None = Field(description="the offices the token answers for; null: every office")
    created_at: str
    created_by: str
    revoked_at: str | None


class TokenRevoked(Schema):
    id: int
    revoked: bool
