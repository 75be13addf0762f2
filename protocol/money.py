"""Money as integer minor units with an ISO 4217 currency, and VAT that adds up.

No floats anywhere: amounts are `int` minor units (cents, grosze), text is parsed
digit by digit, VAT rates are integer basis points (2200 = 22 %).  Rounding is
half-up (half away from zero for negative amounts, e.g. refunds), done once per
line, so a document's totals are plain sums of its lines and always add up:
sum of line gross == total gross, and net + VAT == gross on every line and in total.

    >>> Money.parse("1 234,56", "EUR")
    Money(minor=123456, currency='EUR')
    >>> Money.parse("12.34", "EUR").format(decimal=",")
    '12,34'
    >>> line = VatLine.from_gross(Money.parse("12.20", "EUR"), 1, "22")
    >>> (line.net.minor, line.vat.minor)
    (1000, 220)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 minor-unit exponents that differ from 2; every other well-formed code has 2.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Grouping characters people type or print: space, no-break space, narrow no-break
# space, thin space, and the Swiss apostrophe.
_GROUPING_SPACES = (" ", "\u00a0", "\u202f", "\u2009", "'", "\u2019")
_LAST_GROUP = re.compile(r"^\d{3}(?:[.,]\d*)?$")
_MAX_TEXT = 40  # no real amount needs more characters; keeps parsing cheap on junk


class MoneyError(ValueError):
    """An amount or currency could not be understood; the message says why."""


def exponent(currency: str) -> int:
    """The number of minor-unit digits of an ISO 4217 currency (EUR 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(check_currency(currency), 2)


def check_currency(currency: str) -> str:
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise MoneyError(f"currency must be a three-letter ISO 4217 code such as EUR, got {currency!r}")
    return currency


@dataclass(frozen=True, order=False)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; a float or Decimal here is always a bug upstream.
        if type(self.minor) is not int:
            raise MoneyError(f"Money needs integer minor units, got {type(self.minor).__name__} {self.minor!r}")
        check_currency(self.currency)

    # -- construction -------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> "Money":
        """Read '12.34', '12,34', '1 234,56', '1.234,56', '1,234.56', '-5', '7'.

        With both '.' and ',' the last one is the decimal separator.  With one kind
        used once, it is the decimal separator unless exactly three digits follow
        and the currency has fewer minor digits: '1.234' in EUR is ambiguous and
        refused rather than guessed.  More decimals than the currency has are
        refused too: money is never rounded silently.
        """
        return cls(parse_minor(text, exponent(currency)), currency)

    # -- presentation ---------------------------------------------------------------
    def format(self, decimal: str = ".", grouping: str = "") -> str:
        """'1234.50' by default; format(',', ' ') gives '1 234,50'."""
        exp = exponent(self.currency)
        sign = "-" if self.minor < 0 else ""
        digits = str(abs(self.minor)).rjust(exp + 1, "0")
        whole, frac = (digits[:-exp], digits[-exp:]) if exp else (digits, "")
        if grouping:
            head = len(whole) % 3 or 3
            whole = grouping.join([whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)])
        return f"{sign}{whole}{decimal}{frac}" if exp else f"{sign}{whole}"

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"

    # -- arithmetic (same currency only) ----------------------------------------------
    def _same(self, other: object) -> "Money":
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: "Money") -> "Money":
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.minor - self._same(other).minor, self.currency)

    def __mul__(self, factor: int) -> "Money":
        if type(factor) is not int:
            raise TypeError("Money can only be multiplied by an integer quantity")
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def __lt__(self, other: "Money") -> bool:
        return self.minor < self._same(other).minor

    def __le__(self, other: "Money") -> bool:
        return self.minor <= self._same(other).minor

    def __gt__(self, other: "Money") -> bool:
        return self.minor > self._same(other).minor

    def __ge__(self, other: "Money") -> bool:
        return self.minor >= self._same(other).minor


def parse_minor(text: str, exp: int) -> int:
    """Parse an amount text into integer minor units with `exp` decimals (see Money.parse)."""
    if not isinstance(text, str):
        raise MoneyError(f"an amount must be text, got {type(text).__name__}")
    raw = text.strip()
    if not raw:
        raise MoneyError("the amount is empty")
    if len(raw) > _MAX_TEXT:
        raise MoneyError(f"the amount {raw[:_MAX_TEXT]!r}... is too long to be an amount")
    sign = 1
    if raw[0] in "-+\u2212":
        sign = -1 if raw[0] != "+" else 1
        raw = raw[1:].lstrip()
    for space in _GROUPING_SPACES:
        if space in raw:
            raw = _drop_grouping(raw, space, text)
    if not raw or any(c not in "0123456789.," for c in raw):
        raise MoneyError(f"{text!r} is not an amount: use digits with '.' or ',' for decimals, like 12.34 or 12,34")
    whole, frac = _split_decimal(raw, exp, text)
    if not whole.isdigit():
        raise MoneyError(f"{text!r} is not an amount: it needs digits before the decimal separator")
    if len(frac) > exp:
        unit = "no decimals" if exp == 0 else f"at most {exp} decimals"
        raise MoneyError(f"{text!r} has {len(frac)} decimals; this currency allows {unit}")
    return sign * int(whole + frac.ljust(exp, "0"))


def _drop_grouping(raw: str, sep: str, text: str) -> str:
    parts = raw.split(sep)
    if (not 1 <= len(parts[0]) <= 3 or any(len(p) != 3 for p in parts[1:-1])
            or not _LAST_GROUP.match(parts[-1])):
        raise MoneyError(f"{text!r} has digit groups that are not groups of three")
    return "".join(parts)


def _split_decimal(raw: str, exp: int, text: str) -> tuple[str, str]:
    dots, commas = raw.count("."), raw.count(",")
    if dots and commas:
        dec = "." if raw.rfind(".") > raw.rfind(",") else ","
        group = "," if dec == "." else "."
        if raw.count(dec) > 1 or raw.rfind(group) > raw.rfind(dec):
            raise MoneyError(f"{text!r} mixes '.' and ',' in a way that is not an amount")
        whole, frac = raw.split(dec)
        return _ungroup(whole, group, text), frac
    sep = "." if dots else "," if commas else ""
    if not sep:
        return raw, ""
    parts = raw.split(sep)
    if len(parts) > 2:  # '1.234.567': grouping only
        return _ungroup(raw, sep, text), ""
    whole, frac = parts
    if len(frac) == 3 and exp < 3:
        raise MoneyError(f"{text!r} is ambiguous: is '{sep}' a thousands separator or a decimal point? "
                         f"Write {whole}{frac} or use two decimals")
    return whole, frac


def _ungroup(whole: str, sep: str, text: str) -> str:
    parts = whole.split(sep)
    if not parts[0] or len(parts[0]) > 3 or any(len(p) != 3 for p in parts[1:]):
        raise MoneyError(f"{text!r} has digit groups that are not groups of three")
    return "".join(parts)


# -- VAT ------------------------------------------------------------------------------

def rate_basis_points(rate: int | str | Decimal) -> int:
    """A VAT rate as integer basis points: 2200, '22', '7.7', Decimal('5.5') (percent)."""
    if type(rate) is int:
        bp = rate
    elif isinstance(rate, (str, Decimal)):
        try:
            percent = Decimal(str(rate).strip().rstrip("%").strip())
        except InvalidOperation:
            raise MoneyError(f"VAT rate {rate!r} is not a number; give percent like '22' or '7.7'") from None
        if not percent.is_finite():
            raise MoneyError(f"VAT rate {rate!r} is not a finite number")
        scaled = percent * 100
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"VAT rate {rate!r} is finer than 0.01 %")
        bp = int(scaled)
    else:
        raise MoneyError(f"a VAT rate is basis points (int) or percent text, not {type(rate).__name__}")
    if not 0 <= bp <= 10000:
        raise MoneyError(f"VAT rate {bp} basis points is outside 0-100 %")
    return bp


def _div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers only."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return -q if numerator < 0 else q


@dataclass(frozen=True)
class VatLine:
    """One document line: quantity × unit price WITH VAT at one rate, split into net and VAT."""

    unit_gross: Money
    quantity: int
    rate_bp: int
    gross: Money
    net: Money
    vat: Money

    @classmethod
    def from_gross(cls, unit_gross: Money, quantity: int, rate: int | str | Decimal) -> "VatLine":
        if type(quantity) is not int:
            raise MoneyError("a line quantity must be an integer")
        bp = rate_basis_points(rate)
        gross = unit_gross * quantity
        # The gross is what the customer pays and is never changed; net is derived
        # and rounded once, VAT is the remainder, so net + VAT == gross exactly.
        net = Money(_div_half_up(gross.minor * 10000, 10000 + bp), gross.currency)
        return cls(unit_gross, quantity, bp, gross, net, gross - net)


@dataclass(frozen=True)
class VatDocument:
    """Lines of one currency with totals that are exact sums of the lines."""

    lines: tuple[VatLine, ...]
    currency: str

    @classmethod
    def of(cls, lines: list[VatLine] | tuple[VatLine, ...], currency: str | None = None) -> "VatDocument":
        lines = tuple(lines)
        cur = currency or (lines[0].gross.currency if lines else None)
        if cur is None:
            raise MoneyError("an empty document needs its currency")
        for line in lines:
            if line.gross.currency != cur:
                raise MoneyError(f"a line in {line.gross.currency} on a {cur} document")
        return cls(lines, check_currency(cur))

    def _sum(self, attr: str) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + getattr(line, attr)
        return total

    @property
    def gross(self) -> Money:
        return self._sum("gross")

    @property
    def net(self) -> Money:
        return self._sum("net")

    @property
    def vat(self) -> Money:
        return self._sum("vat")

    def by_rate(self) -> dict[int, tuple[Money, Money, Money]]:
        """{rate in basis points: (gross, net, VAT)}, each the sum of that rate's lines."""
        out: dict[int, tuple[Money, Money, Money]] = {}
        zero = Money.zero(self.currency)
        for line in self.lines:
            g, n, v = out.get(line.rate_bp, (zero, zero, zero))
            out[line.rate_bp] = (g + line.gross, n + line.net, v + line.vat)
        return out
