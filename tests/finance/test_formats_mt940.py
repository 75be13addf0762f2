"""MT940 statements, SWIFT and Polish banks' layouts, read into Statement, and refused whole when wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.finance.formats.mt940 import parse_mt940
from hub.finance.formats.mt940_details import read_details
from hub.finance.records import ImportRefused, StatementLine

FILES = Path(__file__).parent / "files"
SWIFT = (FILES / "mt940_swift.sta").read_bytes()
POLISH = (FILES / "mt940_polish.sta").read_bytes()


def _refusal(data: bytes) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        parse_mt940(data)
    return caught.value


def test_a_swift_statement_in_its_envelope_gives_every_line_with_marks_dates_and_references():
    statement = parse_mt940(SWIFT)
    assert (statement.format, statement.iban, statement.currency) == ("mt940", "DE89370400440532013000", "EUR")
    assert statement.statement_id == "STMT240105/00005/001"
    credit, debit, reversal = statement.lines
    assert credit == StatementLine(
        position=1, booking_date=dt.date(2024, 1, 5), value_date=dt.date(2024, 1, 5), amount_minor=50000,
        currency="EUR", credit=True, reversal=False,
        description="Rechnung 2024-17 Gebuehr Meldebescheinigung Kunde Nr 4711", structured_reference=None,
        bank_reference="BK2401050001", counterparty=None)
    assert (debit.credit, debit.amount_minor) == (False, 12050)
    # RD: the reversal of a debit puts the money back, so it is money in.
    assert (reversal.credit, reversal.reversal, reversal.amount_minor) == (True, True, 3000)


def test_a_reversal_of_a_credit_is_money_out():
    data = SWIFT.replace(b":61:240105RD30,00", b":61:240105RC30,00").replace(b"C240105EUR1409,50", b"C240105EUR1349,50")
    line = parse_mt940(data).lines[2]
    assert (line.credit, line.reversal) == (False, True)


def test_a_polish_statement_in_cp1250_with_tilde_and_angle_subfields():
    statement = parse_mt940(POLISH)
    assert statement.iban == "PL61109010140000071219812874"            # from ':25:/PL61…'
    first, fee, third = statement.lines
    # ~20 was filled to its 27 characters, cut inside a word: glued back; ~21 follows.
    assert first.description == "Opłata skarbowa za pełnomocnictwo RF18539007547034"
    assert first.counterparty == "ANNA WIŚNIEWSKA"
    assert (fee.credit, fee.description, fee.counterparty) == (False, "Prowizja za prowadzenie rachunku 02/2024", "BANK")
    assert third.description == "Wydanie zaświadczenia o niezaleganiu nr ZS-12/24"    # '<' separators
    assert third.counterparty == "PIOTR NOWAK"


@pytest.mark.parametrize("separator", ["~", "<", "+", "^", "?"])
def test_every_subfield_separator_banks_use_gives_the_same_description_and_counterparty(separator):
    text = "020~00PRZELEW~20Oplata za~21wypis~32JAN KOWALSKI~33SP. J.".replace("~", separator)
    assert read_details([text]) == ("Oplata za wypis", "JAN KOWALSKI SP. J.")


def test_free_text_wrapped_at_full_width_is_glued_and_short_lines_are_spaced():
    full = "/PUR/LGPE-RIVERSAMENTO/URI/2021-07-27SELBIT2B-S00301489" + "7 ".rjust(10, "X")
    assert len(full) == 65
    assert read_details([full, "tail"]) == (full + "tail", None)
    assert read_details(["first words", "second words"]) == ("first words second words", None)


def test_a_bare_polish_account_number_becomes_its_iban():
    data = POLISH.replace(b":25:/PL61109010140000071219812874", b":25:61109010140000071219812874")
    assert parse_mt940(data).iban == "PL61109010140000071219812874"


def test_an_account_that_is_not_an_iban_gives_none():
    data = SWIFT.replace(b":25:DE89370400440532013000", b":25:37040044/0532013000")
    assert parse_mt940(data).iban is None


def test_a_closing_balance_that_does_not_follow_from_the_movements_is_refused_at_its_line():
    refused = _refusal(SWIFT.replace(b"C240105EUR1409,50", b"C240105EUR1409,60"))
    assert refused.where == "line 13"
    assert "140960" in refused.reason and "140950" in refused.reason


def test_a_file_cut_before_its_closing_balance_is_refused():
    cut = SWIFT[: SWIFT.index(b":62F:")]
    assert "no closing balance" in _refusal(cut).reason


def test_a_malformed_statement_line_is_refused_with_its_line_number():
    refused = _refusal(SWIFT.replace(b":61:2401050105D120,50", b":61:24010X0105D120,50"))
    assert refused.where == "line 9" and ":61:" in refused.reason


def test_an_impossible_date_is_refused_with_its_line_number():
    refused = _refusal(SWIFT.replace(b":61:2401050105D120,50", b":61:2413050105D120,50"))
    assert refused.where == "line 9"


def test_two_statements_of_one_account_in_one_file_give_all_lines_in_order():
    second = SWIFT.replace(b"STMT240105", b"STMT240106").replace(b":60F:C240104EUR1000,00", b":60F:C240105EUR1409,50")
    second = second.replace(b"C240105EUR1409,50\r\n-}", b"C240105EUR1819,00\r\n-}")
    statement = parse_mt940(SWIFT + second)
    assert [line.position for line in statement.lines] == [1, 2, 3, 4, 5, 6]
    assert statement.statement_id == "STMT240105/00005/001,STMT240106/00005/001"


def test_one_account_written_two_ways_in_two_statements_is_one_account():
    second = POLISH.replace(b":25:/PL61109010140000071219812874", b":25:PL61 1090 1014 0000 0712 1981 2874")
    assert len(parse_mt940(POLISH + second).lines) == 6


def test_statements_of_two_accounts_in_one_file_are_refused():
    other = POLISH
    assert "different accounts" in _refusal(SWIFT + other).reason
