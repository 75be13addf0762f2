"""Payment identifiers: RF, pagoPA notice numbers, Italian fiscal codes, NIP, IBAN."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from protocol.ids import iban, italy, nip, pagopa, rf

DIGITS = "0123456789"
ALNUM = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_rf_iso11649_example():
    assert rf.generate("539007547034") == "RF18539007547034"
    assert rf.validate("RF18 5390 0754 7034") == "RF18539007547034"
    assert rf.format("RF18539007547034") == "RF18 5390 0754 7034"
    with pytest.raises(InvalidChecksum):
        rf.validate("RF19539007547034")
    with pytest.raises(InvalidLength):
        rf.generate("X" * 22)
    with pytest.raises(InvalidFormat):
        rf.generate("ÄB")


@given(st.text(ALNUM, min_size=1, max_size=21))
def test_rf_generate_always_validates(body):
    ref = rf.generate(body)
    assert rf.validate(ref) == ref and ref.endswith(body)


def test_pagopa_notice_layout_and_mod93():
    number = "001340000013900808"  # aux 0, application code 01, in a published notice
    assert pagopa.validate("0013 4000 0013 9008 08") == number
    assert (pagopa.aux_digit(number), pagopa.application_code(number), pagopa.iuv(number)) == (0, "01", "340000013900808")
    assert pagopa.check_digits(number[:16]) == "08"
    seg = pagopa.generate(3, "0000123456789", segregation_code="99")
    assert seg == "399000012345678990" and pagopa.segregation_code(seg) == "99"
    assert pagopa.iuv(seg) == "99000012345678990"
    assert pagopa.generate(1, "2" * 17) == "1" + "2" * 17  # aux 1 has no check digits
    assert pagopa.is_valid("1" + "2" * 17)
    assert len(pagopa.iuv(pagopa.generate(2, "5" * 15))) == 17


@pytest.mark.parametrize("number, error", [
    ("399000012345678900", InvalidChecksum),  # a published sample: the check gives 90
    ("499000012345678900", InvalidComponent), ("39900001234567890", InvalidLength),
    ("39900001234567890X", InvalidFormat),
])
def test_pagopa_notice_errors(number, error):
    with pytest.raises(error):
        pagopa.validate(number)


def test_pagopa_generate_refuses_wrong_parts():
    with pytest.raises(InvalidComponent):
        pagopa.generate(0, "1" * 13)  # no application code
    with pytest.raises(InvalidLength):
        pagopa.generate(2, "1" * 13)
    with pytest.raises(InvalidComponent):
        pagopa.generate(5, "1" * 13)


@given(st.sampled_from([0, 1, 2, 3]), st.text(DIGITS, min_size=17, max_size=17), st.text(DIGITS, min_size=2, max_size=2))
def test_pagopa_generate_always_validates(aux, digits, code):
    base = digits[:{0: 13, 1: 17, 2: 15, 3: 13}[aux]]
    number = pagopa.generate(aux, base, application_code=code, segregation_code=code)
    assert pagopa.validate(number) == number and pagopa.aux_digit(number) == aux


def test_italian_fiscal_codes_and_vat():
    assert italy.validate_fiscal_code("RCCMNL83S18D969H") == "RCCMNL83S18D969H"
    assert italy.is_valid_fiscal_code("00311260095")  # an organisation: 11 digits
    assert not italy.is_valid_fiscal_code("RCCMNL83S18D969A")
    assert italy.generate_vat("0031126009") == "00311260095"
    assert not italy.is_valid_vat("12345678901")


@pytest.mark.parametrize("number, error, why", [
    ("03503446639", InvalidComponent, "office code 663"),  # Luhn digit right, no tax office 663
    ("00311260096", InvalidChecksum, "Luhn check digit"),
    ("00000000001", InvalidFormat, "all zero"),
    ("0031126009", InvalidLength, "this one has 10"),
    ("0031126009X", InvalidFormat, "digits only"),
])
def test_an_invalid_partita_iva_says_which_part_is_wrong(number, error, why):
    assert luhn.is_valid(number) or error is not InvalidComponent
    with pytest.raises(error, match=why):
        italy.validate_vat(number)
    assert why in italy.vat_problem(number)
    assert italy.vat_problem("00311260095") is None


def test_polish_nip():
    assert nip.validate("526-104-08-28") == "5261040828"
    assert nip.generate("526104082") == "5261040828"
    assert not nip.is_valid("5261040829")


@given(st.text(DIGITS, min_size=9, max_size=9))
def test_nip_generate_validates_or_says_why_not(first_nine):
    try:
        number = nip.generate(first_nine)
    except ValidationError as exc:
        assert "check digit would be 10" in str(exc)
    else:
        assert nip.is_valid(number)


def test_iban_and_polish_nrb():
    assert iban.validate("BE72 0000 0000 1616") == "BE72000000001616"
    assert iban.generate("BE", "000000001616") == "BE72000000001616"
    assert iban.is_valid(iban.from_nrb("61 1090 1014 0000 0712 1981 2874"))
    with pytest.raises(InvalidLength):
        iban.from_nrb("1234")
