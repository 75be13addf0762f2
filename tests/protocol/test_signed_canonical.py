"""One signed code, one text: every encoding of an order or receipt decodes, every variation of it is refused."""

from __future__ import annotations

import datetime as dt

from hypothesis import assume, given, settings, strategies as st

from protocol.keys import KeyDirectory, SigningKey
from protocol.qr import cp_order, cp_receipt, signed

HUB = SigningKey.generate()
AGENT = SigningKey.generate()
KEYS = KeyDirectory()
KEYS.add(HUB.public_entry("hub", ["order"]))
KEYS.add(AGENT.public_entry("krakow-3", ["receipt"]))

# Short enough that every generated code fits the 513 digits of a QR version 10.
text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0xFFFF), max_size=6)
codes = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=6)
orders = st.builds(
    cp_order.PaymentOrderCode, order_id=text, case_ref=text,
    amount_minor=st.none() | st.integers(0, 10**12), currency=st.sampled_from(["EUR", "PLN"]),
    positions=st.lists(codes, max_size=3).map(tuple), payer_name=text, payer_id=text,
    expires=st.dates(dt.date(2090, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat))
receipts = st.builds(
    cp_receipt.ReceiptCode, receipt_id=text, agent_id=st.just("krakow-3"),
    time=st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2099, 1, 1)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    amount_minor=st.integers(0, 10**12), currency=st.sampled_from(["EUR", "PLN"]),
    tender=st.sampled_from(["card", "cash"]), terminal_ref=text, reference=text,
    last4=st.sampled_from(["", "1234", "0005"]))


def order_fields(order: cp_order.PaymentOrderCode) -> list[str]:
    return signed.decode(cp_order.FORMAT, cp_order.make(order, HUB), cp_order.FIELD_COUNT).fields


def receipt_fields(receipt: cp_receipt.ReceiptCode) -> list[str]:
    return signed.decode(cp_receipt.FORMAT, cp_receipt.make(receipt, AGENT), cp_receipt.FIELD_COUNT).fields


def zero_into_field(fields: list[str], index: int, at: int) -> list[str]:
    value = fields[index]
    changed = list(fields)
    changed[index] = value[:at] + "0" + value[at:]
    return changed


@settings(max_examples=60, deadline=None)
@given(orders)
def test_every_order_round_trips(order):
    result = cp_order.parse(cp_order.make(order, HUB), KEYS)
    assert result.valid, result.errors
    assert result.fields["amount_minor"] == order.amount_minor
    assert result.fields["positions"] == list(order.positions)


@settings(max_examples=60, deadline=None)
@given(orders, st.integers(0, 200))
def test_a_leading_zero_before_the_digits_is_refused(order, zeros):
    payload = cp_order.make(order, HUB)
    assume(len(payload) + zeros + 1 <= signed.MAX_DIGITS)    # longer is refused for its length alone
    varied = payload[:3] + "0" * (zeros + 1) + payload[3:]
    result = cp_order.parse(varied, KEYS)
    assert not result.valid and result.fields["verdict"] == "structure wrong"
    assert "not the canonical form" in result.errors[0]


@settings(max_examples=60, deadline=None)
@given(orders, st.sampled_from([2, 7]), st.integers(0, 8))
def test_a_zero_inserted_into_a_numeric_field_is_refused_though_signed(order, index, at):
    # 2: the amount, where only a leading zero keeps the value; 7: the expiry, anywhere.
    fields = zero_into_field(order_fields(order), index, 0 if index == 2 else at)
    if fields[2] == "0":
        fields[2] = "00"                                        # "" + "0" is amount 0, a value of its own
    result = cp_order.parse(signed.encode(cp_order.FORMAT, fields, HUB), KEYS)
    assert result.checks_ok is True                             # the hub's own signature is good…
    assert not result.valid and any("not the canonical form" in e or "is not a date" in e for e in result.errors)


@settings(max_examples=40, deadline=None)
@given(orders, st.sampled_from([",", ",,", "lead", "lower"]))
def test_extra_separators_or_a_lowercase_currency_are_refused(order, variation):
    fields = order_fields(order)
    if variation == "lead":
        fields[4] = "," + fields[4]
    elif variation == "lower":
        fields[3] = fields[3].lower()
    else:
        fields[4] = fields[4] + variation
    result = cp_order.parse(signed.encode(cp_order.FORMAT, fields, HUB), KEYS)
    assert not result.valid and "not the canonical form" in result.errors[0]


@settings(max_examples=30, deadline=None)
@given(orders)
def test_an_extra_field_separator_is_refused(order):
    payload = signed.encode(cp_order.FORMAT, order_fields(order) + [""], HUB)
    assert not cp_order.parse(payload, KEYS).valid


@settings(max_examples=60, deadline=None)
@given(receipts)
def test_every_receipt_round_trips(receipt):
    result = cp_receipt.parse(cp_receipt.make(receipt, AGENT), KEYS)
    assert result.valid, result.errors
    assert result.fields["amount_minor"] == receipt.amount_minor


@settings(max_examples=60, deadline=None)
@given(receipts, st.sampled_from([2, 3]), st.integers(0, 14), st.booleans())
def test_receipt_variations_are_refused(receipt, index, at, carrier_zero):
    if carrier_zero:
        payload = cp_receipt.make(receipt, AGENT)
        assume(len(payload) < signed.MAX_DIGITS)
        varied = payload[:3] + "0" + payload[3:]
    else:
        # 2: the time, anywhere; 3: the amount, in front.
        fields = zero_into_field(receipt_fields(receipt), index, at if index == 2 else 0)
        varied = signed.encode(cp_receipt.FORMAT, fields, AGENT)
    result = cp_receipt.parse(varied, KEYS)
    assert not result.valid and result.fields["verdict"] == "structure wrong"
