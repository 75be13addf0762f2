"""Fuzzing every finance parser: any bytes give a result or ImportRefused, never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.finance.formats.camt import parse_statement
from hub.finance.formats.csv_statement import parse_columns_option, parse_csv
from hub.finance.formats.detect import parse_file
from hub.finance.formats.fdr import parse_flow
from hub.finance.formats.mt940 import parse_mt940
from hub.finance.records import ImportRefused

FILES = Path(__file__).parent / "files"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _golden(*names: str) -> list[bytes]:
    return [(FILES / name).read_bytes() for name in names]


@st.composite
def mutated(draw, originals: list[bytes]) -> bytes:
    """A golden file with a few bytes replaced, inserted or cut: near-valid input reaches deep."""
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["replace", "insert", "cut"]))
        chunk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
            [b"<", b">", b"&", b"</", b":61:", b":86:", b"~2", b";", b",", b"\n", b"-", b"9" * 20, b"\xff"]))
        if action == "replace":
            data[at:at + len(chunk)] = chunk
        elif action == "insert":
            data[at:at] = chunk
        else:
            del data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


def _result_or_refused(parse, data: bytes) -> None:
    try:
        parse(data)
    except ImportRefused as refused:
        assert refused.where and refused.reason


XML = _golden("fdr_pay_i_prefix.xml", "camt053_v02.xml", "camt053_v08_batch.xml", "camt054_v08.xml")
MT940 = _golden("mt940_swift.sta", "mt940_polish.sta", "same_statement.mt940")
CSV = _golden("same_statement.csv")
CSV_COLUMNS = parse_columns_option("date=1,amount=2,currency=3,counterparty=4,description=5,reference=6")


@FUZZ
@given(st.binary(max_size=600) | mutated(XML))
def test_the_flow_parser_gives_a_flow_or_a_refusal(data):
    _result_or_refused(parse_flow, data)


@FUZZ
@given(st.binary(max_size=600) | mutated(XML))
def test_the_camt_parser_gives_a_statement_or_a_refusal(data):
    _result_or_refused(parse_statement, data)


@FUZZ
@given(st.binary(max_size=600) | mutated(MT940))
def test_the_mt940_parser_gives_a_statement_or_a_refusal(data):
    _result_or_refused(parse_mt940, data)


@FUZZ
@given(st.lists(st.sampled_from([":20:", ":25:", ":28C:", ":60F:", ":61:", ":86:", ":62F:", "C", "D", "RC", "EUR",
                                 "240105", "0105", "1,00", ",", "NTRF", "//", "~20", "<32", "\n", "-", "{4:"]),
                max_size=40))
def test_the_mt940_parser_survives_tag_soup(parts):
    _result_or_refused(parse_mt940, "".join(parts).encode())


@FUZZ
@given(st.binary(max_size=600) | mutated(CSV))
def test_the_csv_parser_gives_a_statement_or_a_refusal(data):
    _result_or_refused(lambda d: parse_csv(d, CSV_COLUMNS), data)


@FUZZ
@given(st.lists(st.lists(st.text(alphabet="0123456789.,-/ ;\t\"'aZ€ł", max_size=12), min_size=1, max_size=6),
                max_size=8))
def test_the_csv_parser_survives_any_cells(rows):
    text = "\n".join(";".join(row) for row in rows)
    _result_or_refused(lambda d: parse_csv(d, {"date": 1, "amount": 2, "description": 3}, currency="EUR"),
                       text.encode("utf-8"))


@FUZZ
@given(st.text(max_size=60))
def test_the_columns_option_gives_columns_or_a_refusal(text):
    _result_or_refused(parse_columns_option, text)


@FUZZ
@given(st.binary(max_size=400) | mutated(XML + MT940 + CSV))
def test_auto_detection_and_parsing_give_a_result_or_a_refusal(data):
    _result_or_refused(lambda d: parse_file(d, "auto", CSV_COLUMNS, currency="EUR"), data)


def test_deeply_nested_xml_is_refused_or_read_without_crashing():
    depth = 10_000
    data = b"<Document>" + b"<a>" * depth + b"</a>" * depth + b"</Document>"
    _result_or_refused(parse_statement, data)
