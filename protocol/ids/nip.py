"""Polish tax numbers (NIP): 10 digits, the last a weighted mod-11 check digit.

    >>> validate('526-104-08-28')
    '5261040828'
    >>> format('5261040828')
    '526-104-08-28'
    >>> generate('526104082')
    '5261040828'
"""

from __future__ import annotations

from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength
from stdnum.pl import nip

compact = nip.compact
validate = nip.validate
is_valid = nip.is_valid
format = nip.format

_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)  # the NIP weights (stdnum.pl.nip.checksum)


def generate(first_nine: str) -> str:
    """The NIP for 9 digits; some prefixes have no valid NIP (their check would be 10)."""
    digits = nip.compact(first_nine)
    if not digits.isdigit():
        raise InvalidFormat("a NIP has digits only")
    if len(digits) != 9:
        raise InvalidLength(f"give the first 9 digits of a NIP, got {len(digits)}")
    check = sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=True)) % 11
    if check == 10:
        raise InvalidComponent(f"no valid NIP starts with {digits}: its check digit would be 10")
    return nip.validate(digits + str(check))
