"""The console's texts and formats: `t(key, **values)`, money, dates and numbers per language.

The catalogues are hub/web/locales/<language>.json, English the reference; the
interface is the one the shared catalogue mechanism offers (`Catalogue(directory,
language)` with `.t()` and `.language`; `format_money`, `format_date`,
`format_number`), so the console's templates and routes call only this module.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from protocol.money import exponent
from hub.users.model import LANGUAGES

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"

# Decimal and grouping separators by language (CLDR); NBSP groups thousands where a space does.
_SEPARATORS = {"en": (".", ","), "it": (",", "."), "pl": (",", "\u00a0"), "lv": (",", "\u00a0"), "el": (",", ".")}
_SYMBOLS = {"EUR": "€", "PLN": "zł", "USD": "$", "GBP": "£"}
_DATE_FORMATS = {"en": "%Y-%m-%d", "it": "%d/%m/%Y", "pl": "%d.%m.%Y", "lv": "%d.%m.%Y", "el": "%d/%m/%Y"}


class Catalogue:
    """One language's texts, each key falling back to English when the language lacks it."""

    def __init__(self, directory: Path, language: str):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._texts = {**_load(directory, DEFAULT_LANGUAGE), **_load(directory, self.language)}

    def t(self, key: str, **values: object) -> str:
        text = self._texts.get(key)
        if text is None:
            return key
        return text.format(**values) if values else text


@lru_cache(maxsize=None)
def _load(directory: Path, language: str) -> dict[str, str]:
    return json.loads((directory / f"{language}.json").read_text(encoding="utf-8"))


def catalogue(language: str) -> Catalogue:
    return Catalogue(LOCALES, language)


def format_number(value: int | float, language: str, decimals: int = 0) -> str:
    decimal_sep, group_sep = _SEPARATORS.get(language, _SEPARATORS[DEFAULT_LANGUAGE])
    text = f"{abs(value):,.{decimals}f}"
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", group_sep)
    return ("-" if value < 0 else "") + whole + (decimal_sep + fraction if fraction else "")


def format_money(minor: int, currency: str, language: str) -> str:
    digits = exponent(currency)
    whole, fraction = divmod(abs(minor), 10 ** digits)     # integers all the way: no float rounding
    amount = format_number(whole, language)
    if digits:
        amount += _SEPARATORS.get(language, _SEPARATORS[DEFAULT_LANGUAGE])[0] + f"{fraction:0{digits}d}"
    amount = ("-" if minor < 0 else "") + amount
    symbol = _SYMBOLS.get(currency, currency)
    if language == "en":
        return f"-{symbol}{amount[1:]}" if amount.startswith("-") else f"{symbol}{amount}"
    return f"{amount}\u00a0{symbol}"


def format_date(value: dt.date | dt.datetime, language: str) -> str:
    text = value.strftime(_DATE_FORMATS.get(language, _DATE_FORMATS[DEFAULT_LANGUAGE]))
    if isinstance(value, dt.datetime):
        text += value.strftime(" %H:%M")
    return text
