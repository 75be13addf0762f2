"""A receipt's words and figures in one language: catalogue texts (agent/ui/locales,
`receipt.paper.*`) and amounts as that language writes them on paper.

Amounts carry the currency's ISO code, not its sign: every ESC/POS code page has "EUR",
few have "€", and "zł" none of the Western ones.  No thousands separator: CLDR's for
Polish and Latvian is a no-break space that code pages lack, and receipt columns are narrow.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from protocol.money import Money

from agent.ui.i18n import Catalogue


@lru_cache(maxsize=16)
def _catalogue(language: str) -> Catalogue:
    return Catalogue(language)


@lru_cache(maxsize=16)
def _decimal_sign(language: str) -> str:
    try:
        return Locale.parse(language).number_symbols["latn"]["decimal"]
    except (UnknownLocaleError, ValueError, KeyError, TypeError):
        return "."


class ReceiptTexts:
    def __init__(self, language: str, currency: str) -> None:
        self.catalogue = _catalogue(language or "en")
        self.language = self.catalogue.language
        self.currency = currency
        self.decimal = _decimal_sign(self.language)

    def t(self, key: str, **values: object) -> str:
        return self.catalogue.t(key, **values)

    def amount(self, minor: int) -> str:
        """'12.50' in English, '12,50' in Latvian: no currency."""
        return Money(minor, self.currency).format(decimal=self.decimal)

    def money(self, minor: int) -> str:
        """'12.50 EUR', '-3,00 EUR'."""
        return f"{self.amount(minor)} {self.currency}"

    def rate(self, rate_bp: int) -> str:
        """A VAT rate in basis points as a percentage: 2100 → '21', 550 → '5.5' ('5,5' in Latvian)."""
        text = format(Decimal(rate_bp) / 100, "f").rstrip("0").rstrip(".") if rate_bp % 100 else str(rate_bp // 100)
        return text.replace(".", self.decimal)
