"""The one face every payment QR format shows: a `QrResult` and `QrFormatError`.

Structure and check digits are two separate verdicts (DOMAIN.md): printed codes in
the wild are often well formed but fail their check digits, and the cashier must see
which.  So `parse()` in every format module never raises on bad input; it returns a
result carrying `structure_ok`, `checks_ok` (None where the format has no check
digits or they could not be checked) and readable `errors`.  The strict
`validate()` raises `QrFormatError` with the first error.

Every format module offers:
    FORMAT: str                      the name used in `QrResult.format`
    detect(payload: str) -> bool     cheap: does this payload claim to be this format?
    parse(payload: str) -> QrResult  never raises for bad input
    validate(payload: str) -> QrResult   raises QrFormatError unless valid
    is_valid(payload: str) -> bool
    make(...) -> str                 build a payload from typed fields
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class QrFormatError(ValueError):
    """A payload is not a valid code of the format it claims; the message says why."""


@dataclass
class QrResult:
    format: str
    structure_ok: bool
    checks_ok: bool | None
    errors: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.structure_ok and self.checks_ok is not False and not self.errors

    def to_json(self) -> dict[str, Any]:
        data = {
            "format": self.format,
            "valid": self.valid,
            "structure_ok": self.structure_ok,
            "checks_ok": self.checks_ok,
            "errors": list(self.errors),
            "fields": dict(self.fields),
        }
        data["fields"].setdefault("amount_minor", None)
        data["fields"].setdefault("currency", None)
        return data

    def raise_unless_valid(self) -> "QrResult":
        if not self.valid:
            raise QrFormatError(self.errors[0] if self.errors else f"not a valid {self.format} code")
        return self


def unknown(errors: list[str] | None = None) -> QrResult:
    """The result for a payload no format recognised."""
    return QrResult("unknown", False, None,
                    errors or ["not a payment code counterpay knows (pagoPA, EPC, ZBP, RF, counterpay order or receipt)"],
                    {"amount_minor": None, "currency": None})


# A QR code holds at most 7089 numeric / 2953 byte characters; anything longer did
# not come from a scanner, and refusing it early keeps every parser linear and fast.
MAX_PAYLOAD_CHARS = 7089


def verdict(fmt: str, structure_errors: list[str], check_errors: list[str],
            fields: dict[str, Any], checked: bool) -> QrResult:
    """Build a result from the two kinds of findings.

    `checked` says whether any check digits could be computed at all; when none
    could (the format has none, or the structure was too broken to find them),
    `checks_ok` is None rather than a made-up True.
    """
    checks_ok = (not check_errors) if checked else None
    return QrResult(fmt, not structure_errors, checks_ok, structure_errors + check_errors, fields)


def too_long(fmt: str, payload: str, fields: dict[str, Any]) -> QrResult | None:
    if len(payload) > MAX_PAYLOAD_CHARS:
        return QrResult(fmt, False, None,
                        [f"{len(payload)} characters is more than any QR code can hold ({MAX_PAYLOAD_CHARS})"],
                        fields)
    return None
