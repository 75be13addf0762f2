"""protocol.fees: handling fee rules (fixed, percentage half up, minimum, maximum), discounts, VAT
and a basket's totals, by example and over random baskets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import fees


@pytest.mark.parametrize(("rule", "base", "fee"), [
    (fees.HandlingFeeRule(fixed_minor=5, percent_bp=99), 10_000, 104),          # 0.99 % + 0.05 zł of 100 zł
    (fees.HandlingFeeRule(percent_bp=99), 50, 0),                              # 0.495 cent rounds down
    (fees.HandlingFeeRule(percent_bp=100), 50, 1),                             # 0.5 cent rounds half up
    (fees.HandlingFeeRule(percent_bp=150, min_minor=100), 1_000, 100),         # 15 cents → the minimum
    (fees.HandlingFeeRule(percent_bp=150, max_minor=500), 100_000, 500),       # 15.00 → the maximum
    (fees.HandlingFeeRule(fixed_minor=250), 1, 250),                           # a fixed fee only
])
def test_a_rule_adds_fixed_and_percentage_rounded_half_up_then_holds_its_bounds(rule, base, fee):
    assert rule.fee_for(base) == fee


def test_the_fee_applies_on_its_tenders_and_is_taken_in_cash_when_apart():
    rule = fees.HandlingFeeRule(fixed_minor=100, tenders=("card",), collect=fees.COLLECT_APART)
    line = fees.Line("A", "a", 1, 1_000)
    card = fees.basket([line], "card", rule)
    assert (card.fee_minor, card.fee_tender, card.fee_included, card.amount_minor, card.fee_apart_minor) == \
        (100, "cash", False, 1_000, 100)
    cash = fees.basket([line], "cash", rule)
    assert (cash.fee_minor, cash.amount_minor) == (0, 1_000)
    with_payment = fees.basket([line], "card", fees.HandlingFeeRule(fixed_minor=100))
    assert (with_payment.fee_included, with_payment.amount_minor, with_payment.fee_apart_minor) == (True, 1_100, 0)


def test_a_discount_never_takes_more_than_its_line():
    assert fees.discount_amount(1_000, percent_bp=5_000) == 500
    assert fees.discount_amount(999, percent_bp=5_000) == 500          # 499.5 half up
    assert fees.discount_amount(1_000, amount_minor=2_500) == 1_000


def test_vat_is_the_part_of_a_price_with_vat_and_follows_the_discount():
    line = fees.Line("A", "a", 2, 6_050, 2_100, fees.Discount("senior", 2_100, "card 1"))
    assert (line.gross_minor, line.total_minor, line.vat_minor) == (12_100, 10_000, 1_736)   # 100.00 at 21 %: 17.36
    assert fees.vat_of(1_000, 2_200) == 180 and fees.vat_of(0, 2_100) == 0 and fees.vat_of(1_000, 0) == 0


lines = st.lists(st.builds(
    fees.Line, code=st.text("ABC", min_size=1, max_size=3), name=st.just("x"),
    quantity=st.integers(1, 50), unit_minor=st.integers(0, 10**7), vat_rate_bp=st.sampled_from([0, 500, 1200, 2100, 2400]),
), min_size=1, max_size=12)
rules = st.one_of(st.none(), st.builds(
    fees.HandlingFeeRule, fixed_minor=st.integers(0, 1_000), percent_bp=st.integers(0, 500),
    min_minor=st.integers(0, 200), max_minor=st.one_of(st.none(), st.integers(200, 5_000)),
    tenders=st.sampled_from([("card",), ("card", "cash")]), collect=st.sampled_from(fees.COLLECT_MODES)))


@given(lines, rules, st.sampled_from(["card", "cash"]), st.data())
def test_for_any_basket_the_lines_the_discounts_and_the_fee_add_up(picked, rule, tender, data):
    with_discounts = [fees.Line(line.code, line.name, line.quantity, line.unit_minor, line.vat_rate_bp,
                                fees.Discount("d", fees.discount_amount(line.gross_minor, percent_bp=bp), "r"))
                      if (bp := data.draw(st.one_of(st.none(), st.integers(1, 10_000)))) else line for line in picked]
    basket = fees.basket(with_discounts, tender, rule)
    assert basket.subtotal_minor - basket.discount_minor == basket.positions_minor
    assert basket.amount_minor + basket.fee_apart_minor == basket.positions_minor + basket.fee_minor
    assert basket.vat_minor == sum(vat for _rate, _gross, vat in basket.vat_by_rate())
    assert sum(gross for _rate, gross, _vat in basket.vat_by_rate()) == basket.positions_minor
    assert all(0 <= line.vat_minor <= line.total_minor for line in basket.lines)
    if rule is not None and rule.applies_to(tender) and basket.fee_minor:
        assert basket.fee_minor >= rule.min_minor
        assert rule.max_minor is None or basket.fee_minor <= max(rule.max_minor, rule.min_minor)
