"""Golden and rule tests for the payment QR formats and the detecting registry.

Published examples: the EPC069-12 guidelines' Belgian Red Cross code, pagoPA codes
from public notice generators (one of which fails its mod-93 check), the ISO 11649
example RF18539007547034.  The ZBP example is built to the 2013 recommendation.
"""

from __future__ import annotations

import pytest

from protocol.qr import QrFormatError, detect_format, epc, pagopa, parse, rf, zbp

EPC_EXAMPLE = ("BCD\n001\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1\nCHAR\n\n"
               "Urgency fund\nSample EPC QR code")
ZBP_EXAMPLE = "5261040828|PL|61109010140000071219812874|012345|Urząd Miasta|Opłata 123/2024|||"

JSON_KEYS = {
    "pagopa": {"notice_number", "creditor_fiscal_code", "aux_digit", "iuv"},
    "epc": {"version", "charset", "bic", "name", "iban", "purpose", "reference", "text", "info"},
    "zbp": {"nip", "country", "account", "name", "title", "reserved1", "reserved2", "reserved3"},
    "rf": {"reference"},
}


# -- pagoPA -------------------------------------------------------------------------------

def test_pagopa_published_valid_code():
    r = parse("PAGOPA|002|001340000013900808|00311260095|5000")
    assert (r.format, r.valid, r.structure_ok, r.checks_ok) == ("pagopa", True, True, True)
    assert r.to_json()["fields"] == {"amount_minor": 5000, "currency": "EUR", "notice_number": "001340000013900808",
                                     "creditor_fiscal_code": "00311260095", "aux_digit": 0, "iuv": "340000013900808"}


def test_pagopa_sample_failing_mod93_is_well_formed_but_fails_its_check():
    r = parse("PAGOPA|002|399000012345678900|83000390019|222250")
    assert (r.structure_ok, r.checks_ok, r.valid) == (True, False, False)
    assert "mod-93" in r.errors[0] and "gives 90" in r.errors[0]
    assert r.fields["amount_minor"] == 222250 and r.fields["aux_digit"] == 3


def test_pagopa_dummy_creditor_fiscal_code_fails_the_checks_not_the_structure():
    r = parse("PAGOPA|002|001340000013900808|12345678901|5000")
    assert (r.structure_ok, r.checks_ok) == (True, False)
    assert "creditor fiscal code" in r.errors[0]


def test_pagopa_creditor_with_a_right_luhn_digit_but_no_tax_office_says_so():
    r = parse("PAGOPA|002|001340000013900808|03503446639|5000")
    assert (r.structure_ok, r.checks_ok) == (True, False)
    assert r.errors == ["the creditor fiscal code 03503446639 is not a valid partita IVA: the office code 663 "
                        "(digits 8-10) is not an Italian tax office code; offices are 001-100, 120, 121, 888 and 999"]
    assert not any("check digit" in e for e in r.errors)


@pytest.mark.parametrize("amount, ok", [("1", True), ("50", True), ("9" * 12, True), ("9" * 13, False),
                                        ("", False), ("12.50", False), ("-5", False)])
def test_pagopa_amounts_of_1_to_12_digits(amount, ok):
    r = parse(f"PAGOPA|002|001340000013900808|00311260095|{amount}")
    assert r.structure_ok is ok
    if ok:
        assert r.fields["amount_minor"] == int(amount)
    else:
        assert "amount" in r.errors[0]


@pytest.mark.parametrize("payload, why", [
    ("PAGOPA|001|001340000013900808|00311260095|5000", "version"),
    ("PAGOPA|002|00134000001390080|00311260095|5000", "18 digits"),
    ("PAGOPA|002|501340000013900808|00311260095|5000", "aux digit"),
    ("PAGOPA|002|001340000013900808|0031126009|5000", "11 digits"),
    ("PAGOPA|002|001340000013900808|00311260095", "5 fields"),
])
def test_pagopa_structure_errors_say_what(payload, why):
    r = parse(payload)
    assert r.format == "pagopa" and not r.structure_ok
    assert any(why in e for e in r.errors)


def test_aux1_notice_has_no_check_digits_but_the_fiscal_code_is_checked():
    r = pagopa.parse("PAGOPA|002|123456789012345678|00311260095|100")
    assert r.valid and r.fields["iuv"] == "23456789012345678"


# -- EPC ----------------------------------------------------------------------------------

def test_epc_guidelines_example():
    r = parse(EPC_EXAMPLE)
    assert (r.format, r.valid, r.checks_ok) == ("epc", True, True)
    assert r.to_json()["fields"] == {
        "amount_minor": 100, "currency": "EUR", "version": "001", "charset": 1, "bic": "BPOTBEB1",
        "name": "Red Cross of Belgium", "iban": "BE72000000001616", "purpose": "CHAR", "reference": None,
        "text": "Urgency fund", "info": "Sample EPC QR code"}


def test_epc_crlf_and_trailing_separator_are_read():
    assert parse(EPC_EXAMPLE.replace("\n", "\r\n") + "\r\n").valid


def test_epc_version_002_makes_the_bic_optional_001_does_not():
    v2 = EPC_EXAMPLE.replace("001\n", "002\n", 1).replace("BPOTBEB1", "")
    assert parse(v2).valid
    v1 = EPC_EXAMPLE.replace("BPOTBEB1", "")
    assert not parse(v1).structure_ok and "BIC" in parse(v1).errors[0]


@pytest.mark.parametrize("amount, ok", [("EUR0.01", True), ("EUR999999999.99", True), ("EUR12.5", True),
                                        ("", True), ("EUR0.00", False), ("EUR1000000000", False),
                                        ("EUR1,50", False), ("12.50", False), ("EUR1.505", False),
                                        ("PLN1.00", False)])
def test_epc_amount_rules(amount, ok):
    r = parse(EPC_EXAMPLE.replace("EUR1\n", amount + "\n"))
    assert r.structure_ok is ok, r.errors


def test_epc_reference_and_text_exclude_each_other_and_the_rf_is_checked():
    both = EPC_EXAMPLE.replace("CHAR\n\n", "CHAR\nRF18539007547034\n")
    assert any("exclude" in e for e in parse(both).errors)
    ref_only = EPC_EXAMPLE.replace("CHAR\n\nUrgency fund", "CHAR\nRF18539007547034\n")
    assert parse(ref_only).valid and parse(ref_only).fields["reference"] == "RF18539007547034"
    bad_ref = parse(ref_only.replace("RF18", "RF19"))
    assert (bad_ref.structure_ok, bad_ref.checks_ok) == (True, False)


def test_epc_bad_iban_check_is_the_checks_verdict():
    r = parse(EPC_EXAMPLE.replace("BE72000000001616", "BE73000000001616"))
    assert (r.structure_ok, r.checks_ok) == (True, False) and "IBAN" in r.errors[0]


def test_epc_length_limits():
    assert any("at most 70" in e for e in parse(EPC_EXAMPLE.replace("Red Cross of Belgium", "N" * 71)).errors)
    long_text = parse(EPC_EXAMPLE.replace("Urgency fund", "ł" * 140))  # 2 bytes each in UTF-8
    assert any("331" in e for e in long_text.errors)  # 140 characters fit the field, not the 331 bytes
    assert any("at most 12 lines" in e for e in parse(EPC_EXAMPLE + "\nextra").errors)
    assert not parse("BCD\n002\n1\nSCT\n\nName").structure_ok  # no IBAN line


def test_epc_charsets_map_to_codecs_and_bytes_decode_by_their_own_charset():
    assert epc.CHARSETS == {1: "utf-8", 2: "iso8859-1", 3: "iso8859-2", 4: "iso8859-4", 5: "iso8859-5",
                            6: "iso8859-7", 7: "iso8859-10", 8: "iso8859-15"}
    greek = epc.make("Δήμος Αθηναίων", "GR1601101250000000012300695", 2500, text="Τέλη", charset=6)
    data = epc.encode(greek)
    assert "Δ".encode("iso8859-7") in data and epc.decode(data) == greek
    with pytest.raises(QrFormatError, match="character set"):
        epc.make("Łódź", "BE72000000001616", charset=2)
    assert any("cannot be written" in e for e in parse(EPC_EXAMPLE.replace("\n1\n", "\n2\n", 1)
                                                      .replace("Red Cross", "Łódź")).errors)


# -- ZBP ----------------------------------------------------------------------------------

def test_zbp_example():
    r = parse(ZBP_EXAMPLE)
    assert (r.format, r.valid) == ("zbp", True)
    assert r.to_json()["fields"] == {
        "amount_minor": 12345, "currency": "PLN", "nip": "5261040828", "country": "PL",
        "account": "61109010140000071219812874", "name": "Urząd Miasta", "title": "Opłata 123/2024",
        "reserved1": None, "reserved2": None, "reserved3": None}


def test_zbp_accepts_amounts_longer_than_six_digits():
    r = parse(ZBP_EXAMPLE.replace("|012345|", "|0012345678|"))
    assert r.valid and r.fields["amount_minor"] == 12345678
    with pytest.raises(QrFormatError, match="999999"):
        zbp.make("61109010140000071219812874", "A", "B", 1_000_000)


def test_zbp_checks_nip_and_account():
    bad_nip = parse(ZBP_EXAMPLE.replace("5261040828", "5261040829"))
    assert (bad_nip.structure_ok, bad_nip.checks_ok) == (True, False) and "NIP" in bad_nip.errors[0]
    bad_acc = parse(ZBP_EXAMPLE.replace("611090", "621090"))
    assert (bad_acc.structure_ok, bad_acc.checks_ok) == (True, False) and "account" in bad_acc.errors[0]
    no_nip = parse(ZBP_EXAMPLE.replace("5261040828", ""))
    assert no_nip.valid


def test_zbp_field_limits():
    assert any("name has 21" in e for e in parse(ZBP_EXAMPLE.replace("Urząd Miasta", "N" * 21)).errors)
    assert any("title has 33" in e for e in parse(ZBP_EXAMPLE.replace("Opłata 123/2024", "T" * 33)).errors)
    assert any("9 fields" in e for e in zbp.parse("a|b").errors)


# -- RF and the registry -------------------------------------------------------------------

def test_rf_bare_reference():
    r = parse("RF18 5390 0754 7034")
    assert (r.format, r.valid, r.fields["reference"]) == ("rf", True, "RF18539007547034")
    bad = parse("RF19539007547034")
    assert (bad.structure_ok, bad.checks_ok) == (True, False)
    assert not parse("RF1").structure_ok
    assert rf.make("539007547034") == "RF18539007547034"


@pytest.mark.parametrize("payload, fmt", [
    ("PAGOPA|002|001340000013900808|00311260095|5000", "pagopa"), (EPC_EXAMPLE, "epc"),
    (ZBP_EXAMPLE, "zbp"), ("RF18539007547034", "rf"), ("hello world", None), ("", None),
])
def test_registry_detects_each_format(payload, fmt):
    assert detect_format(payload) == fmt
    result = parse(payload)
    assert result.format == (fmt or "unknown")
    data = result.to_json()
    assert {"format", "valid", "structure_ok", "checks_ok", "errors", "fields"} == set(data)
    assert {"amount_minor", "currency"} <= set(data["fields"])
    if fmt:
        assert set(data["fields"]) == JSON_KEYS[fmt] | {"amount_minor", "currency"}
    else:
        assert data["valid"] is False and data["errors"]


def test_validate_raises_the_first_reason():
    with pytest.raises(QrFormatError, match="mod-93"):
        pagopa.validate("PAGOPA|002|399000012345678900|83000390019|222250")
    assert not epc.is_valid("BCD\n") and zbp.is_valid(ZBP_EXAMPLE) and rf.is_valid("RF18539007547034")
