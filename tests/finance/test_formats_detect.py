"""Telling the formats apart, one statement in three formats giving the same lines, unsafe XML refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hub.finance.formats import reading
from hub.finance.formats.camt import parse_statement
from hub.finance.formats.csv_statement import parse_columns_option
from hub.finance.formats.detect import detect_format, parse_file
from hub.finance.formats.fdr import parse_flow
from hub.finance.records import Flow, ImportRefused, Statement

FILES = Path(__file__).parent / "files"
SAME_COLUMNS = ("date=Data księgowania,amount=Kwota,currency=Waluta,counterparty=Nadawca / odbiorca,"
                "description=Tytuł,reference=Nr transakcji")


@pytest.mark.parametrize("name, fmt", [
    ("fdr_pay_i_prefix.xml", "fdr"), ("fdr_no_namespace.xml", "fdr"), ("camt053_v02.xml", "camt"),
    ("camt054_v08.xml", "camt"), ("mt940_swift.sta", "mt940"), ("mt940_polish.sta", "mt940"),
    ("same_statement.mt940", "mt940"), ("same_statement.csv", "csv"),
])
def test_each_golden_file_is_recognised_by_its_content_whatever_its_name(name, fmt):
    data = (FILES / name).read_bytes()
    assert detect_format(data) == fmt
    assert detect_format(data, "upload.bin") == fmt


def test_auto_reads_a_flow_as_a_flow_and_a_statement_as_a_statement():
    assert isinstance(parse_file((FILES / "fdr_pay_i_prefix.xml").read_bytes()), Flow)
    assert isinstance(parse_file((FILES / "camt053_v02.xml").read_bytes()), Statement)


def test_a_csv_without_columns_is_refused_asking_for_them():
    with pytest.raises(ImportRefused) as caught:
        parse_file((FILES / "same_statement.csv").read_bytes())
    assert caught.value.where == "--columns"


def test_an_unknown_format_name_and_an_unknown_xml_are_refused():
    with pytest.raises(ImportRefused):
        parse_file(b"<x/>", "camt054")
    with pytest.raises(ImportRefused) as caught:
        detect_format(b"<?xml version='1.0'?><Invoice/>")
    assert "neither" in caught.value.reason


def test_the_same_statement_in_camt_mt940_and_csv_gives_the_same_lines():
    camt = parse_file((FILES / "same_statement.camt053.xml").read_bytes())
    mt940 = parse_file((FILES / "same_statement.mt940").read_bytes())
    csv = parse_file((FILES / "same_statement.csv").read_bytes(), "auto", parse_columns_option(SAME_COLUMNS))
    assert camt.iban == mt940.iban == "PL61109010140000071219812874"
    assert camt.currency == mt940.currency == csv.currency == "PLN"

    def without_ids(statement, *also):
        return [dataclasses.replace(line, bank_reference=None, **{f: None for f in also}) for line in statement.lines]

    assert len(camt.lines) == 4
    assert without_ids(camt) == without_ids(mt940)
    # A CSV export carries no value date; everything else is the same.
    assert without_ids(camt, "value_date") == without_ids(csv, "value_date")


def test_a_billion_laughs_file_is_refused_not_expanded():
    with pytest.raises(ImportRefused) as caught:
        parse_statement((FILES / "billion_laughs.xml").read_bytes())
    assert caught.value.where == "<!DOCTYPE>" and "refused" in caught.value.reason


def test_an_external_entity_is_refused_not_fetched():
    with pytest.raises(ImportRefused) as caught:
        parse_flow((FILES / "external_entity.xml").read_bytes())
    assert caught.value.where == "<!DOCTYPE>"


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/evil.dtd">',
    b'<!DOCTYPE Document [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
])
def test_an_external_dtd_or_parameter_entity_is_refused(doctype):
    with pytest.raises(ImportRefused):
        parse_statement(b'<?xml version="1.0"?>' + doctype + b"<Document/>")


def test_a_file_over_the_size_limit_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1000)
    data = (FILES / "camt053_v02.xml").read_bytes()
    with pytest.raises(ImportRefused) as caught:
        parse_file(data)
    assert "more than the 1,000" in caught.value.reason
