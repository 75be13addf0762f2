"""What the back-office forms share: errors keyed by field, and numbers typed the user's way.

A form's errors are `{field: (catalogue key, values)}`, the shape the templates' `error()`
macro shows next to its field.  Money is typed as the user's language writes it
("1.234,50" in Italian, "1 234,50" in Polish, "1,234.50" in English) and parsed strictly:
a grouping in the wrong place, a letter or more decimals than the currency has is
refused, never guessed at.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import NumberFormatError, parse_decimal, parse_pattern
from pydantic import ValidationError

from protocol.money import exponent
from hub.reasons import GENERIC_TYPES

Errors = dict[str, tuple[str, dict]]

MONEY_LIMIT = Decimal(10) ** 15
"""Beyond any fee; also keeps `quantize` inside the decimal context's precision."""



class FieldProblem(ValueError):
    """A typed value that cannot be read: `key` is its catalogue key."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key, self.values = key, values


def _decimal(text: str, language: str) -> Decimal:
    cleaned = (text or "").strip().replace("\u202f", "\u00a0")
    if not cleaned:
        raise FieldProblem("form.error.required")
    try:
        # strict: "1.2.3" or "12,5" in English are refused instead of read as something else
        value = parse_decimal(cleaned.replace(" ", "\u00a0"), locale=Locale.parse(language), strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        raise FieldProblem("form.error.number_invalid", typed=text.strip()) from None
    if not value.is_finite():
        raise FieldProblem("form.error.number_invalid", typed=text.strip())
    return value


def parse_money(text: str, currency: str, language: str) -> int:
    """Money typed in `language` → integer minor units of `currency`."""
    value = _decimal(text, language)
    digits = exponent(currency)
    if value < 0:
        raise FieldProblem("form.error.not_negative")
    if value >= MONEY_LIMIT:
        raise FieldProblem("form.error.number_too_large")
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        raise FieldProblem("form.error.money_decimals", digits=digits, currency=currency)
    return int(value.scaleb(digits))


def parse_percent_bp(text: str, language: str) -> int:
    """A percentage typed in `language` ("21", "5,5") → basis points (2100, 550)."""
    value = _decimal(text, language)
    if abs(value) >= MONEY_LIMIT:
        raise FieldProblem("form.error.number_too_large")
    if value != value.quantize(Decimal("0.01")):
        raise FieldProblem("form.error.percent_decimals")
    return int(value.scaleb(2))


def parse_whole(text: str, language: str) -> int:
    value = _decimal(text, language)
    if abs(value) >= MONEY_LIMIT:
        raise FieldProblem("form.error.number_too_large")
    if value != value.to_integral_value():
        raise FieldProblem("form.error.whole_number")
    return int(value)


def field_name(loc: tuple) -> str:
    """A pydantic error location as a form field: ('price_lists', 0, 'positions', 1, 'code') → pl0.p1.code."""
    names = {"price_lists": "pl", "positions": "p"}
    parts: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            continue
        following = loc[index + 1] if index + 1 < len(loc) else None
        if part in names and isinstance(following, int):
            parts.append(f"{names[part]}{following}")
        else:
            parts.append(str(part))
    return ".".join(parts)


def validation_errors(exc: ValidationError, own: dict[str, str] | None = None) -> Errors:
    """Each pydantic error under the field it names, with its context.

    `own` maps a model's own error types to catalogue keys; pydantic's common types are
    `form.error.<type>`, anything else `form.error.invalid`.  The first problem of a
    field is kept; a model's own check (e.g. codes that repeat) lands on what it checked.
    """
    errors: Errors = {}
    for problem in exc.errors():
        name = field_name(tuple(problem["loc"])) or "form"
        kind = problem["type"]
        key = (own or {}).get(kind) or (f"form.error.{kind}" if kind in GENERIC_TYPES else "form.error.invalid")
        context = {k: v for k, v in (problem.get("ctx") or {}).items() if isinstance(v, (str, int, float))}
        errors.setdefault(name, (key, context))
    return errors


def _typed_decimal(value: Decimal, digits: int, language: str) -> str:
    pattern = copy.copy(parse_pattern(Locale.parse(language).decimal_formats[None]))
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, Locale.parse(language))


def money_as_typed(minor: int | None, currency: str, language: str) -> str:
    """Minor units as the user would type them back: 1250 EUR in Polish → "12,50"."""
    if minor is None:
        return ""
    digits = exponent(currency)
    return _typed_decimal(Decimal(minor).scaleb(-digits), digits, language)


def percent_as_typed(basis_points: int, language: str) -> str:
    """2100 → "21", 550 → "5.5" (English) or "5,5"."""
    value = Decimal(basis_points).scaleb(-2).normalize()
    return _typed_decimal(value, max(0, -value.as_tuple().exponent), language)
