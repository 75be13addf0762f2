"""Receipts that say what was paid: golden layouts (VAT, a discount, the handling fee) at 42 and 48
columns in English, Latvian, Greek, Polish and Italian; the same text on paper (ESC/POS code pages
decoded back) and in the PNG (every letter in the shipped font); and for random baskets the lines
add up to the TOTAL and the VAT lines to the VAT total."""

from __future__ import annotations

import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pyzbar import pyzbar

from protocol import fees
from protocol.qr import cp_receipt

from agent.config import PrinterConfig
from agent.receipts import ReceiptData, ReceiptPrinter, layout
from agent.receipts.printer import FONT, render_png

from tests.agent.receipt_samples import card_fee_apart, card_with_fee, cash_with_fee

GOLDEN = Path(__file__).parent / "golden"
CASES = [("card_with_fee", card_with_fee, "en", 42), ("card_with_fee", card_with_fee, "en", 48),
         ("card_with_fee", card_with_fee, "lv", 42), ("card_with_fee", card_with_fee, "lv", 48),
         ("card_with_fee", card_with_fee, "pl", 42), ("card_with_fee", card_with_fee, "it", 48),
         ("card_fee_apart", card_fee_apart, "el", 42), ("card_fee_apart", card_fee_apart, "el", 48),
         ("card_fee_apart", card_fee_apart, "en", 42), ("cash_with_fee", cash_with_fee, "el", 42)]


@pytest.fixture(autouse=True)
def utc():
    """Receipts print the local time: the goldens are in UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(("name", "make", "language", "columns"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES])
def test_receipt_layout_matches_its_golden(name, make, language, columns):
    lines = layout(make(language), columns)
    path = GOLDEN / f"receipt_{name}_{language}_{columns}.txt"
    if os.environ.get("CP_UPDATE_GOLDEN"):
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "\n".join(lines) + "\n" == path.read_text(encoding="utf-8")
    assert all(len(line) <= columns for line in lines)


def test_every_line_of_the_english_receipt_is_there_and_adds_up():
    text = "\n".join(layout(card_with_fee("en"), 48))
    for expected in ("2 x 50.00  VAT 21% 17.36", "Discount: Senioriem 50%", "-15.50 EUR", "Reason: apliecība 12345",
                     "Subtotal", "161.00 EUR", "Handling fee", "1.04 EUR", "TOTAL", "146.54 EUR",
                     "VAT 12% of 20.00", "2.14 EUR", "VAT 21% of 115.50", "20.05 EUR", "VAT total", "22.19 EUR",
                     "Payer", "Jānis Bērziņš"):
        assert expected in text, expected


def test_a_fee_taken_apart_is_its_own_line_and_not_in_the_total():
    lines = layout(card_fee_apart("lv"), 42)
    total = next(line for line in lines if line.startswith("KOPĀ"))
    assert total.endswith("145,50 EUR")
    fee = next(index for index, line in enumerate(lines) if line.startswith("Komisijas maksa"))
    assert lines[fee].endswith("1,04 EUR") and "skaidrā naudā" in lines[fee + 1]
    assert fee > next(index for index, line in enumerate(lines) if line.startswith("Samaksāts ar karti"))


def test_the_kiosk_citizens_language_or_else_the_desks_comes_from_the_journal():
    import json

    from agent.receipts import receipt_data_from_journal
    row = {"request": json.dumps({"reference": {"format": "case", "value": "C-1"}, "language": "el"}),
           "outcome": None, "receipt_id": "R-1", "created_at": "2026-11-22T10:00:00Z", "captured_at": None,
           "amount_minor": 100, "currency": "EUR", "tender": "cash"}
    assert layout(receipt_data_from_journal(row, "Office", "desk-1", None, language="lv"), 42)[1].strip() == \
        "ΑΠΟΔΕΙΞΗ ΠΛΗΡΩΜΗΣ"
    row["request"] = json.dumps({"reference": {"format": "case", "value": "C-1"}})
    assert layout(receipt_data_from_journal(row, "Office", "desk-1", None, language="lv"), 42)[1].strip() == \
        "MAKSĀJUMA KVĪTS"


# -- on paper and in the PNG ----------------------------------------------------------------

def _decode_escpos(data: bytes) -> str:
    """The text of an ESC/POS stream as a printer shows it: ESC t n selects code page n (python-escpos' table)."""
    from escpos.capabilities import get_profile
    pages = {int(number): name for name, number in get_profile("default").get_code_pages().items()}
    encoding = "cp437"
    out, i = [], 0
    text_end = data.find(b"\x1d")            # GS: the QR and the cut come after the text
    data = data[:text_end] if text_end >= 0 else data
    while i < len(data):
        if data[i:i + 2] == b"\x1bt":
            encoding = pages[data[i + 2]].lower().replace("_", "-")
            i += 3
            continue
        if data[i] == 0x1b:                       # other ESC commands (alignment): two bytes and an argument
            i += 3
            continue
        out.append(bytes([data[i]]).decode(encoding))
        i += 1
    return "".join(out)


@pytest.mark.parametrize("language", ["lv", "el", "pl", "it"])
def test_escpos_prints_the_receipt_in_its_language_through_the_printers_code_pages(language):
    lines = layout(card_with_fee(language), 42)
    printer = ReceiptPrinter(PrinterConfig(kind="file", path="/dev/null", columns=42))
    assert _decode_escpos(printer.escpos_bytes(lines, None)).rstrip("\n") == "\n".join(lines)


def test_png_has_every_letter_in_its_font_and_a_qr_that_reads_back(tmp_path, keys):
    qr = cp_receipt.make(cp_receipt.ReceiptCode("R-20261122-000007", "desk-1", "2026-11-22T10:15:00Z", 14654, "EUR",
                                                "card", "9", "RIX/2026/77", "1234"), keys.agent)
    cmap = TTFont(FONT).getBestCmap()
    for language in ("el", "lv"):
        lines = layout(card_with_fee(language, qr), 48)
        missing = {ch for line in lines for ch in line if ord(ch) not in cmap}
        assert not missing, f"{language}: the font has no {sorted(missing)}"
        render_png(lines, qr, tmp_path / f"{language}.png")
        image = Image.open(tmp_path / f"{language}.png")
        assert [d.data.decode() for d in pyzbar.decode(image)] == [qr]
        # 48 columns of the monospace font, with margins: the text is drawn, not replaced by one box.
        assert image.width >= 48 * 8 and image.convert("L").getextrema()[0] == 0


# -- the lines add up, for any basket ---------------------------------------------------------

_AMOUNT = re.compile(r"(-?\d+\.\d{2}) EUR$")


def _amount(line: str) -> int:
    return int(Decimal(_AMOUNT.search(line).group(1)) * 100)


baskets = st.lists(st.tuples(st.integers(1, 20), st.integers(1, 500_000), st.sampled_from([0, 500, 1200, 2100, 2400]),
                             st.one_of(st.none(), st.integers(1, 10_000))), min_size=1, max_size=10)
fee_rules = st.one_of(st.none(), st.builds(fees.HandlingFeeRule, fixed_minor=st.integers(0, 500),
                                           percent_bp=st.integers(0, 300), min_minor=st.integers(0, 100),
                                           max_minor=st.one_of(st.none(), st.integers(100, 2_000)),
                                           collect=st.sampled_from(fees.COLLECT_MODES)))


@settings(max_examples=150, deadline=None)
@given(baskets, fee_rules, st.sampled_from(["card", "cash"]), st.sampled_from([42, 48]))
def test_for_random_baskets_the_lines_add_up_to_the_total_and_the_vat_to_the_vat_total(picked, rule, tender, columns):
    lines = []
    for n, (quantity, unit, rate, discount_bp) in enumerate(picked):
        gross = quantity * unit
        discount = (fees.Discount(f"D{n}", fees.discount_amount(gross, percent_bp=discount_bp), "why")
                    if discount_bp else None)
        lines.append(fees.Line(f"P{n}", f"Item {n}", quantity, unit, rate, discount))
    basket = fees.basket(lines, tender, rule)
    positions = [{"code": line.code, "name": line.name, "quantity": line.quantity, "unit_minor": line.unit_minor,
                  "vat_rate_bp": line.vat_rate_bp} | ({"discount": {"name": line.discount.name, "reason": "why",
                                                                    "amount_minor": line.discount.amount_minor}}
                                                      if line.discount else {}) for line in basket.lines]
    fee = {"amount_minor": basket.fee_minor, "tender": basket.fee_tender} if basket.fee_minor else None
    data = ReceiptData("Office", "desk-1", "R-1", "2026-11-22T10:15:00Z", basket.amount_minor, "EUR", tender, positions,
                       cash_given_minor=basket.amount_minor, change_minor=0, handling_fee=fee)
    printed = layout(data, columns)
    items = [_amount(line) for line in printed if line.startswith("Item ")]
    discounts = [_amount(line) for line in printed if line.startswith("  Discount: ")]
    fee_lines = [line for line in printed if line.startswith("Handling fee")]
    total = _amount(next(line for line in printed if line.startswith("TOTAL")))
    included = [_amount(line) for line in fee_lines] if basket.fee_included else []
    assert sum(items) + sum(discounts) + sum(included) == total == basket.amount_minor
    if basket.fee_apart_minor:
        assert [_amount(line) for line in fee_lines] == [basket.fee_apart_minor]
    line_vat = [int(Decimal(m.group(1)) * 100) for line in printed if (m := re.search(r"VAT \d+% (\d+\.\d{2})$", line))]
    rate_vat = [_amount(line) for line in printed if re.match(r"  VAT \d+% of ", line)]
    vat_total = [_amount(line) for line in printed if line.startswith("VAT total")]
    if basket.vat_minor or any(line.vat_rate_bp for line in basket.lines):
        assert sum(line_vat) == sum(rate_vat) == vat_total[0] == basket.vat_minor
    else:
        assert vat_total == [] and line_vat == []
    assert all(len(line) <= columns for line in printed)
