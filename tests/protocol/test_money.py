"""Money in integer minor units and VAT lines whose totals add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.money import Money, MoneyError, VatDocument, VatLine, exponent, rate_basis_points


@pytest.mark.parametrize("text, minor", [
    ("12.34", 1234), ("12,34", 1234), ("1 234,56", 123456), ("1.234,56", 123456),
    ("1,234.56", 123456), ("1\u00a0234,56", 123456), ("1'234.56", 123456), ("7", 700),
    ("0,5", 50), ("-5", -500), ("1.234.567", 123456700), ("  3.10 ", 310), ("12.", 1200),
])
def test_parse_reads_the_ways_people_write_amounts(text, minor):
    assert Money.parse(text, "EUR") == Money(minor, "EUR")


@pytest.mark.parametrize("text, why", [
    ("", "empty"), ("abc", "not an amount"), ("1.234", "ambiguous"), ("12.345", "ambiguous"),
    ("1 23,45", "groups of three"), ("1,2,3.4", "groups of three"), ("12,3,4", "groups of three"),
    ("1.2,3.4", "mixes"), ("1e5", "not an amount"), ("٣", "not an amount"), ("9" * 50, "too long"),
])
def test_parse_refuses_with_a_reason(text, why):
    with pytest.raises(MoneyError, match=why):
        Money.parse(text, "EUR")


def test_decimals_follow_the_currency_exponent():
    assert exponent("JPY") == 0 and exponent("KWD") == 3 and exponent("PLN") == 2
    assert Money.parse("1.234", "KWD") == Money(1234, "KWD")
    assert Money.parse("1 500", "JPY").format() == "1500"
    with pytest.raises(MoneyError, match="no decimals"):
        Money.parse("1,50", "JPY")
    with pytest.raises(MoneyError, match="at most 2 decimals"):
        Money.parse("1.5055", "EUR")


def test_no_floats_get_in():
    with pytest.raises(MoneyError):
        Money(12.34, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(Decimal("12"), "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(100, "EUR") * 1.5  # type: ignore[operator]
    with pytest.raises(MoneyError, match="ISO 4217"):
        Money(1, "euro")


def test_format_and_arithmetic():
    m = Money(123456789, "EUR")
    assert m.format() == "1234567.89"
    assert m.format(",", " ") == "1 234 567,89"
    assert m.format(",", ".") == "1.234.567,89"
    assert str(Money(-5, "EUR")) == "-0.05 EUR"
    assert Money(150, "EUR") + Money(50, "EUR") == Money(200, "EUR")
    assert 3 * Money(150, "EUR") == Money(450, "EUR")
    assert Money(1, "EUR") < Money(2, "EUR")
    with pytest.raises(MoneyError, match="EUR with PLN"):
        Money(1, "EUR") + Money(1, "PLN")


@given(st.integers(-10**15, 10**15), st.sampled_from(["EUR", "PLN", "JPY", "KWD"]),
       st.sampled_from([(".", ""), (",", ""), (",", " "), (",", "."), (".", ","), (".", "'")]))
def test_format_then_parse_gives_the_same_money(minor, currency, style):
    money = Money(minor, currency)
    text = money.format(*style)
    if exponent(currency) == 0 and style[1] in ".," and text.count(style[1]) == 1:
        # '1.000' JPY: one '.' or ',' followed by three digits could be a decimal point;
        # parse refuses to guess rather than read a wrong amount
        with pytest.raises(MoneyError, match="ambiguous"):
            Money.parse(text, currency)
    else:
        assert Money.parse(text, currency) == money


def test_rates_as_basis_points_or_percent_text():
    assert rate_basis_points(2200) == 2200
    assert rate_basis_points("22") == 2200
    assert rate_basis_points("7.7") == 770
    assert rate_basis_points(Decimal("5.5")) == 550
    assert rate_basis_points("8 %") == 800
    for bad in ("abc", "7.777", "-1", "101", 22.0):
        with pytest.raises(MoneyError):
            rate_basis_points(bad)  # type: ignore[arg-type]


def test_vat_line_from_price_with_vat():
    line = VatLine.from_gross(Money(1220, "EUR"), 3, "22")
    assert (line.gross.minor, line.net.minor, line.vat.minor) == (3660, 3000, 660)
    one = VatLine.from_gross(Money(100, "EUR"), 1, 2200)  # 81.967... -> 82
    assert (one.net.minor, one.vat.minor) == (82, 18)


def test_vat_rounds_half_up_and_away_from_zero_for_refunds():
    half = VatLine.from_gross(Money(3, "EUR"), 1, 10000)  # net exactly 1.5 cents
    assert (half.net.minor, half.vat.minor) == (2, 1)
    refund = VatLine.from_gross(Money(-3, "EUR"), 1, 10000)
    assert (refund.net.minor, refund.vat.minor) == (-2, -1)


def test_document_totals_add_up_per_rate_and_in_total():
    lines = [VatLine.from_gross(Money(1999, "EUR"), 3, "22"), VatLine.from_gross(Money(333, "EUR"), 7, "10"),
             VatLine.from_gross(Money(1, "EUR"), 1, "22"), VatLine.from_gross(Money(1600, "EUR"), 1, "0")]
    doc = VatDocument.of(lines)
    assert doc.gross == Money(1999 * 3 + 333 * 7 + 1 + 1600, "EUR")
    assert doc.net + doc.vat == doc.gross
    rates = doc.by_rate()
    assert set(rates) == {2200, 1000, 0}
    assert rates[0] == (Money(1600, "EUR"), Money(1600, "EUR"), Money(0, "EUR"))
    assert sum((g for g, _, _ in rates.values()), Money(0, "EUR")) == doc.gross
    assert sum((v for _, _, v in rates.values()), Money(0, "EUR")) == doc.vat
    with pytest.raises(MoneyError, match="PLN"):
        VatDocument.of(lines + [VatLine.from_gross(Money(1, "PLN"), 1, "23")])


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(-10**9, 10**9), st.integers(1, 1000), st.integers(0, 10000)),
                min_size=1, max_size=20))
def test_any_document_adds_up_and_each_net_is_the_rounded_exact_net(raw):
    lines = [VatLine.from_gross(Money(unit, "EUR"), qty, bp) for unit, qty, bp in raw]
    doc = VatDocument.of(lines)
    assert doc.gross.minor == sum(unit * qty for unit, qty, _ in raw)
    assert doc.net + doc.vat == doc.gross
    for line in lines:
        assert line.net + line.vat == line.gross
        # |net - gross/(1+rate)| <= 1/2 cent, in integers
        assert abs(line.net.minor * (10000 + line.rate_bp) - line.gross.minor * 10000) * 2 <= 10000 + line.rate_bp
