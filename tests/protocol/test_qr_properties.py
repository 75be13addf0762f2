"""Property tests: make → parse round-trips every format; fuzzing never crashes a parser.

Parsers get arbitrary text and bytes, bare and behind each format's prefix, and may
only answer with a QrResult (or QrFormatError from the strict `validate`): never
another exception, never a hang (hypothesis' deadline and pytest-timeout watch).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError

import protocol.qr as registry
from protocol.ids import iban, italy, nip, pagopa as notice, rf as rf_id
from protocol.money import Money, MoneyError
from protocol.qr import QrFormatError, QrResult, epc, pagopa, rf, zbp
from protocol.qr.image import parse_bytes, payload_text

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FUZZ = settings(max_examples=300, deadline=500, suppress_health_check=[HealthCheck.too_slow])


# -- strategies -----------------------------------------------------------------------------

@st.composite
def notice_numbers(draw):
    aux = draw(st.sampled_from([0, 1, 2, 3]))
    base = draw(st.text(DIGITS, min_size={0: 13, 1: 17, 2: 15, 3: 13}[aux], max_size={0: 13, 1: 17, 2: 15, 3: 13}[aux]))
    code = draw(st.text(DIGITS, min_size=2, max_size=2))
    return notice.generate(aux, base, application_code=code, segregation_code=code)


@st.composite
def creditor_fiscal_codes(draw):
    holder = draw(st.text(DIGITS, min_size=7, max_size=7).filter(lambda s: s != "0000000"))
    office = draw(st.sampled_from(["001", "015", "050", "100", "120", "121", "888", "999"]))
    return italy.generate_vat(holder + office)


@st.composite
def ibans(draw):
    country, length = draw(st.sampled_from([("DE", 18), ("AT", 16), ("IT", 0), ("LV", 0), ("GR", 23)]))
    if country == "IT":  # IT: CIN letter + 5 + 5 digits + 12 alphanumerics; stdnum checks the CIN
        bban = draw(st.sampled_from(["X0542811101000000123456", "X0542811101000000654321"]))
    elif country == "LV":
        bban = draw(st.sampled_from(["BANK", "HABA", "UNLA"])) + draw(st.text(DIGITS, min_size=13, max_size=13))
    else:
        bban = draw(st.text(DIGITS, min_size=length, max_size=length))
    number = iban.generate(country, bban)
    return number


def charset_text(charset: int, max_size: int):
    codec = epc.CHARSETS[charset]
    chars = []
    for b in list(range(0x20, 0x7F)) + list(range(0xA0, 0x100)):
        try:
            chars.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            continue
    if charset == 1:  # UTF-8 can carry anything; sample the scripts counterpay meets
        chars += list("ąćęłńóśźżĄĆĘŁŃÓŚŹŻāēīūķļņšžĀĒĪŪĶĻŅŠŽαβγδεζηθλμπσωΑΒΓΔΘΛΞΠΣΩάέήίόύώàèéìòùÀÈÉÌÒÙ€")
    return st.text(st.sampled_from(chars), min_size=1, max_size=max_size).filter(lambda s: s.strip() == s)


# -- round trips ----------------------------------------------------------------------------

@given(notice_numbers(), creditor_fiscal_codes(), st.integers(0, 10**12 - 1))
def test_pagopa_make_then_parse(number, fiscal, amount):
    result = registry.parse(pagopa.make(number, fiscal, amount))
    assert result.valid, result.errors
    assert (result.fields["notice_number"], result.fields["creditor_fiscal_code"], result.fields["amount_minor"]) == (
        number, fiscal, amount)
    assert result.fields["iuv"] == notice.iuv(number)


@st.composite
def epc_codes(draw):
    charset = draw(st.integers(1, 8))
    version = draw(st.sampled_from(["001", "002"]))
    bic = draw(st.sampled_from(["BPOTBEB1", "BFSWDE33BER", "HABALV22", ""] if version == "002" else ["BPOTBEB1", "HABALV22"]))
    kind = draw(st.sampled_from(["reference", "text", "none"]))
    reference = rf_id.generate(draw(st.text(DIGITS + UPPER, min_size=1, max_size=21))) if kind == "reference" else ""
    fields = dict(
        name=draw(charset_text(charset, 70)), iban=draw(ibans()),
        amount_minor=draw(st.none() | st.integers(1, 99999999999)), bic=bic,
        purpose=draw(st.sampled_from(["", "GOVT", "CHAR", "TAXS"])), reference=reference,
        text=draw(charset_text(charset, 140)) if kind == "text" else "",
        info=draw(st.just("") | charset_text(charset, 70)), version=version, charset=charset)
    return fields


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(epc_codes())
def test_epc_make_then_parse(fields):
    try:
        payload = epc.make(**fields)
    except QrFormatError as exc:
        assume("331" not in str(exc))  # long random texts may not fit the byte limit: a real refusal
        raise
    result = registry.parse(payload)
    assert result.valid, result.errors
    for key in ("name", "iban", "text", "info", "reference", "purpose", "bic"):
        assert result.fields[key] == (fields[key] or None)
    assert result.fields["amount_minor"] == fields["amount_minor"]
    assert (result.fields["version"], result.fields["charset"]) == (fields["version"], fields["charset"])
    assert epc.decode(epc.encode(payload)) == payload


@st.composite
def zbp_codes(draw):
    bban = draw(st.text(DIGITS, min_size=24, max_size=24))
    try:
        tax = draw(st.just("") | st.text(DIGITS, min_size=9, max_size=9).map(nip.generate))
    except ValidationError:
        tax = ""
    text = st.text(st.characters(blacklist_characters="|\r\n", blacklist_categories=("Cs", "Cc")), min_size=1,
                   max_size=20)
    return dict(account=iban.generate("PL", bban)[2:], name=draw(text), title=draw(text),
                amount_minor=draw(st.integers(0, 999999)), nip=tax)


@given(zbp_codes())
def test_zbp_make_then_parse(fields):
    result = registry.parse(zbp.make(**fields))
    assert result.format == "zbp" and result.valid, result.errors
    assert (result.fields["account"], result.fields["name"], result.fields["title"], result.fields["amount_minor"]) == (
        fields["account"], fields["name"], fields["title"], fields["amount_minor"])
    assert result.fields["nip"] == (fields["nip"] or None)


@given(st.text(DIGITS + UPPER, min_size=1, max_size=21))
def test_rf_make_then_parse(body):
    result = registry.parse(rf.make(body))
    assert result.format == "rf" and result.valid and result.fields["reference"].endswith(body)


# -- fuzzing ----------------------------------------------------------------------------------

PREFIXES = ["", "PAGOPA|", "PAGOPA|002|", "BCD\n", "BCD\n001\n1\nSCT\n", "BCD\n002\n", "RF", "RF18",
            "|PL|", "||||||||", "811", "821", "8111", "8211"]  # 81x/82x: counterpay order/receipt
PARSERS = [registry.parse, pagopa.parse, epc.parse, zbp.parse, rf.parse]


def _only_results(parser, payload):
    result = parser(payload)
    assert isinstance(result, QrResult)
    assert isinstance(result.valid, bool) and all(isinstance(e, str) for e in result.errors)
    if not result.valid:
        assert result.errors, "an invalid result must say why"
    result.to_json()


@FUZZ
@given(st.sampled_from(PREFIXES), st.text(max_size=400), st.sampled_from(PARSERS))
def test_fuzz_text_gives_a_result_never_an_exception(prefix, tail, parser):
    _only_results(parser, prefix + tail)


@FUZZ
@given(st.lists(st.text(alphabet=st.sampled_from("0123456789PLRFEU.|\n\r ąΑ"), max_size=30), min_size=1, max_size=14),
       st.sampled_from(["|", "\n", "\r\n"]), st.sampled_from(PARSERS))
def test_fuzz_field_shaped_text(parts, sep, parser):
    _only_results(parser, sep.join(parts))


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([b"", b"BCD\n002\n", b"BCD\n001\n9\n", b"PAGOPA|002|"]))
def test_fuzz_bytes_from_an_image_give_a_result(data, prefix):
    _only_results(parse_bytes, prefix + data)
    try:
        text = payload_text(prefix + data)
    except QrFormatError:
        return
    assert isinstance(text, str)


@FUZZ
@given(st.sampled_from([pagopa, epc, zbp, rf]), st.sampled_from(PREFIXES), st.text(max_size=80))
def test_strict_validate_raises_only_the_format_error(module, prefix, tail):
    try:
        assert module.validate(prefix + tail).valid
    except QrFormatError as exc:
        assert str(exc)


@FUZZ
@given(st.text(max_size=60), st.sampled_from(["EUR", "JPY", "KWD", "PLN"]))
def test_fuzz_money_parse_raises_only_money_error(text, currency):
    try:
        assert isinstance(Money.parse(text, currency).minor, int)
    except MoneyError:
        pass


def test_huge_payloads_are_refused_quickly():
    for parser in PARSERS:
        result = parser("PAGOPA|" + "9" * 100_000 if parser is not epc.parse else "BCD\n" + "x" * 100_000)
        assert not result.valid


@pytest.mark.parametrize("payload", [None, b"PAGOPA|002|", 12])
def test_registry_refuses_non_text(payload):
    result = registry.parse(payload)  # type: ignore[arg-type]
    assert result.format == "unknown" and result.errors
