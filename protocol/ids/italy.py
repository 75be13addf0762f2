"""Italian fiscal codes (codice fiscale) and VAT numbers (partita IVA).

A person's codice fiscale has 16 characters; an organisation's (a pagoPA creditor's)
has 11 digits and follows the partita IVA rules.  python-stdnum checks both.

    >>> validate_fiscal_code('RCCMNL83S18D969H')
    'RCCMNL83S18D969H'
    >>> is_valid_vat('00311260095')
    True
    >>> vat_problem('03503446639')  # its Luhn digit is right; its office code is not
    'the office code 663 (digits 8-10) is not an Italian tax office code; offices are 001-100, 120, 121, 888 and 999'
    >>> vat_problem('00311260096')
    'its last digit (the Luhn check digit) is wrong'
    >>> generate_vat('0031126009')
    '00311260095'
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.it import codicefiscale, iva

compact_fiscal_code = codicefiscale.compact
validate_fiscal_code = codicefiscale.validate  # 16 characters or 11 digits
is_valid_fiscal_code = codicefiscale.is_valid

compact_vat = iva.compact
is_valid_vat = iva.is_valid


def validate_vat(number: str) -> str:
    """The compact partita IVA; raises python-stdnum's error for the first part that is wrong, naming it.

    python-stdnum checks, in this order: digits only and a holder (first 7 digits) that is not
    all zeros, 11 digits, a tax office code (digits 8-10) that exists, and the Luhn digit.
    """
    digits = iva.compact(number)
    try:
        return iva.validate(digits)
    except InvalidLength:
        raise InvalidLength(f"a partita IVA has 11 digits, this one has {len(digits)}") from None
    except InvalidFormat:
        if digits.isdigit():
            raise InvalidFormat("its first 7 digits (the holder) are all zero") from None
        raise InvalidFormat("a partita IVA has digits only") from None
    except InvalidComponent:
        raise InvalidComponent(f"the office code {digits[7:10]} (digits 8-10) is not an Italian tax office code; "
                               "offices are 001-100, 120, 121, 888 and 999") from None
    except InvalidChecksum:
        raise InvalidChecksum("its last digit (the Luhn check digit) is wrong") from None


def vat_problem(number: str) -> str | None:
    """What is wrong with a partita IVA, in words a cashier can pass on; None when it is valid."""
    try:
        validate_vat(number)
    except ValidationError as exc:
        return str(exc)
    return None


def generate_vat(first_ten: str) -> str:
    """The partita IVA for 10 digits (7 for the holder, 3 for the office): adds the Luhn digit."""
    digits = iva.compact(first_ten)
    if not digits.isdigit():
        raise InvalidFormat("a partita IVA has digits only")
    if len(digits) != 10:
        raise InvalidLength(f"give the first 10 digits of a partita IVA, got {len(digits)}")
    return digits + luhn.calc_check_digit(digits)
