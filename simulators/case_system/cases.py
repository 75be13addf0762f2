"""The cases a simulated case system knows, loaded from a TOML or JSON file.

    [[case]]
    ref = "VR-2026-000123"
    amount_owed_minor = 4500          # integer minor units, never a float
    currency = "EUR"
    payer = { name = "Anna Bērziņa", id = "010190-12345" }
    [[case.positions]]
    code = "REG-1"
    name = "Vehicle registration"
    quantity = 1
    unit_minor = 4500

JSON holds the same as ``{"case": [ … ]}``.  A bad file is refused with the case and the
field that is wrong.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class CasesFileError(ValueError):
    """The cases file cannot be used; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CasePayer(_Strict):
    name: str | None = Field(default=None, max_length=200)
    id: str | None = Field(default=None, max_length=64)


class CasePosition(_Strict):
    code: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    quantity: int = Field(default=1, ge=1)
    unit_minor: int = Field(ge=0)


class Case(_Strict):
    ref: str = Field(min_length=1, max_length=200)
    amount_owed_minor: int = Field(ge=0)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    payer: CasePayer | None = None
    positions: list[CasePosition] = Field(default_factory=list)
    status: str = Field(default="open", max_length=32)


class CasesFile(_Strict):
    case: list[Case] = Field(default_factory=list)


def load_cases(path: str | Path) -> dict[str, Case]:
    """Cases by reference, or CasesFileError naming the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CasesFileError(f"cannot read cases file {path}: {exc.strerror}") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CasesFileError(f"{path} is not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}") \
            from None
    try:
        parsed = CasesFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise CasesFileError(f"{path}: {problems}") from None
    cases: dict[str, Case] = {}
    for case in parsed.case:
        if case.ref in cases:
            raise CasesFileError(f"{path}: case {case.ref!r} is listed twice")
        cases[case.ref] = case
    return cases
