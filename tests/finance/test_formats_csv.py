"""CSV statements read through the columns the user names or numbers; `--columns` parsed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.finance.formats.csv_statement import parse_columns_option, parse_csv
from hub.finance.records import ImportRefused

FILES = Path(__file__).parent / "files"
POLISH = (FILES / "same_statement.csv").read_bytes()
BY_NAME = {"date": "Data księgowania", "amount": "Kwota", "currency": "Waluta",
           "counterparty": "Nadawca / odbiorca", "description": "Tytuł", "reference": "Nr transakcji"}


def _refusal(data: bytes, columns, **kw) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        parse_csv(data, columns, **kw)
    return caught.value


def test_columns_option_takes_numbers_and_header_names():
    assert parse_columns_option("date=1,amount=3,description=5") == {"date": 1, "amount": 3, "description": 5}
    assert parse_columns_option(" date = Data , amount=Kwota,description=Opis,direction=4 ") == {
        "date": "Data", "amount": "Kwota", "description": "Opis", "direction": 4}


@pytest.mark.parametrize("text, says", [
    ("date=1,amount=3", "description"),
    ("date=1,amount=3,description=5,colour=2", "'colour'"),
    ("date=1,amount=3,description=0", "numbered from 1"),
    ("date=1,date=2,amount=3,description=5", "twice"),
    ("date,amount=3,description=5", "NAME=COLUMN"),
])
def test_a_wrong_columns_option_is_refused_saying_what_to_write(text, says):
    with pytest.raises(ImportRefused) as caught:
        parse_columns_option(text)
    assert caught.value.where == "--columns" and says in caught.value.reason


def test_a_polish_cp1250_export_by_header_names_skips_the_account_preamble():
    statement = parse_csv(POLISH, BY_NAME)
    assert (statement.format, statement.iban, statement.currency) == ("csv", None, "PLN")
    assert [(line.position, line.amount_minor, line.credit) for line in statement.lines] == [
        (1, 8500, True), (2, 123456, True), (3, 1700, True), (4, 1230, False)]
    assert statement.lines[0].booking_date == dt.date(2024, 3, 5)
    assert statement.lines[2].description == "Zaświadczenie o niezaleganiu ZS-12/24"
    assert statement.lines[3].counterparty is None and statement.lines[3].bank_reference == "CSV-4"


def test_columns_by_number_in_a_comma_file_with_iso_dates_and_a_bom():
    data = ("\ufeffdate,amount,text\n2024-03-05,\"1,234.56\",Fee A\n2024-03-06,-7.10,Bank fee\n").encode()
    statement = parse_csv(data, {"date": 1, "amount": 2, "description": 3}, currency="EUR")
    assert [(line.booking_date, line.amount_minor, line.credit, line.description) for line in statement.lines] == [
        (dt.date(2024, 3, 5), 123456, True, "Fee A"), (dt.date(2024, 3, 6), 710, False, "Bank fee")]


def test_a_tab_separated_file_with_slash_dates_and_a_direction_column():
    data = "05/03/2024\t12,50\tDBIT\tFee\n06/03/2024\t3,00\tCRDT\tRefund\n".encode()
    statement = parse_csv(data, {"date": 1, "amount": 2, "direction": 3, "description": 4}, currency="EUR")
    assert [(line.amount_minor, line.credit) for line in statement.lines] == [(1250, False), (300, True)]


def test_a_negative_amount_marked_as_a_credit_is_refused():
    data = b"05.03.2024;-12,50;Uznanie;Fee\n"
    refused = _refusal(data, {"date": 1, "amount": 2, "direction": 3, "description": 4}, currency="PLN")
    assert refused.where == "line 1, column direction"


def test_a_bad_amount_is_refused_with_its_line_and_column():
    data = POLISH.replace("17,00".encode(), b"17,0O")
    refused = _refusal(data, BY_NAME)
    assert refused.where == "line 8, column amount"


def test_an_ambiguous_thousands_amount_is_refused_not_guessed():
    refused = _refusal(b"2024-03-05;1.234;x\n", {"date": 1, "amount": 2, "description": 3}, currency="EUR")
    assert "ambiguous" in refused.reason


def test_a_row_after_the_data_began_without_a_date_is_refused():
    data = POLISH + "Saldo końcowe;2324,26;PLN;;;\r\n".encode("cp1250")
    refused = _refusal(data, BY_NAME)
    assert refused.where == "line 10, column date"


def test_a_header_name_the_file_lacks_is_refused():
    refused = _refusal(POLISH, {**BY_NAME, "description": "Opis"})
    assert "'Opis'" in refused.reason


def test_without_a_currency_column_the_accounts_currency_is_needed():
    refused = _refusal(b"2024-03-05;12,50;x\n", {"date": 1, "amount": 2, "description": 3})
    assert "currency" in refused.reason


def test_a_column_past_the_end_of_a_row_is_refused():
    refused = _refusal(b"2024-03-05;12,50\n", {"date": 1, "amount": 2, "description": 3}, currency="EUR")
    assert refused.where == "line 1, column description"
