"""IBAN (ISO 13616) and the Polish 26-digit account number (NRB) it contains.

python-stdnum checks the country's length and format and the MOD 97-10 digits.

    >>> validate('BE72 0000 0000 1616')
    'BE72000000001616'
    >>> from_nrb('61 1090 1014 0000 0712 1981 2874')
    'PL61109010140000071219812874'
    >>> is_valid(from_nrb('61109010140000071219812874'))
    True
"""

from __future__ import annotations

from stdnum import iban
from stdnum.exceptions import InvalidFormat, InvalidLength

compact = iban.compact
validate = iban.validate
is_valid = iban.is_valid
format = iban.format


def from_nrb(account: str) -> str:
    """The IBAN of a Polish NRB account number (26 digits, its check digits included)."""
    digits = iban.compact(account)
    if not digits.isdigit():
        raise InvalidFormat("a Polish account number (NRB) has digits only")
    if len(digits) != 26:
        raise InvalidLength(f"a Polish account number (NRB) has 26 digits, got {len(digits)}")
    return "PL" + digits


def generate(country: str, bban: str) -> str:
    """The IBAN for a country code and its national account number (BBAN)."""
    cc = country.upper()
    body = iban.compact(bban)
    return iban.validate(cc + iban.calc_check_digits(cc + "00" + body) + body)
