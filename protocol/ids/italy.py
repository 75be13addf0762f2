"""Italian fiscal codes (codice fiscale) and VAT numbers (partita IVA).

A person's codice fiscale has 16 characters; an organisation's (a pagoPA creditor's)
has 11 digits and follows the partita IVA rules.  python-stdnum checks both.

    >>> validate_fiscal_code('RCCMNL83S18D969H')
    'RCCMNL83S18D969H'
    >>> is_valid_vat('00311260095')
    True
    >>> generate_vat('0031126009')
    '00311260095'
"""

from __future__ import annotations

from stdnum import luhn
from stdnum.exceptions import InvalidFormat, InvalidLength
from stdnum.it import codicefiscale, iva

compact_fiscal_code = codicefiscale.compact
validate_fiscal_code = codicefiscale.validate  # 16 characters or 11 digits
is_valid_fiscal_code = codicefiscale.is_valid

compact_vat = iva.compact
validate_vat = iva.validate
is_valid_vat = iva.is_valid


def generate_vat(first_ten: str) -> str:
    """The partita IVA for 10 digits (7 for the holder, 3 for the office): adds the Luhn digit."""
    digits = iva.compact(first_ten)
    if not digits.isdigit():
        raise InvalidFormat("a partita IVA has digits only")
    if len(digits) != 10:
        raise InvalidLength(f"give the first 10 digits of a partita IVA, got {len(digits)}")
    return digits + luhn.calc_check_digit(digits)
