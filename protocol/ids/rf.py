"""ISO 11649 RF creditor references: 'RF' + 2 check digits + 1-21 letters/digits.

A creditor makes one per invoice or payment order; payers' banks carry it unchanged,
so a payment can be matched to its order.  The check digits are ISO 7064 MOD 97-10
over the body followed by 'RF' (python-stdnum does the arithmetic).

    >>> validate('RF18 5390 0754 7034')
    'RF18539007547034'
    >>> generate('539007547034')
    'RF18539007547034'
    >>> format('RF18539007547034')
    'RF18 5390 0754 7034'
    >>> is_valid('RF19539007547034')
    False
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.exceptions import InvalidFormat, InvalidLength
from stdnum.iso7064 import mod_97_10

compact = iso11649.compact
validate = iso11649.validate
is_valid = iso11649.is_valid
format = iso11649.format

MAX_BODY = 21
_BODY = re.compile(r"^[0-9A-Z]+$")


def generate(reference_body: str) -> str:
    """The RF reference (compact) for a body of 1-21 letters and digits."""
    body = iso11649.clean(reference_body, " -.:").upper()
    if not body or len(body) > MAX_BODY:
        raise InvalidLength(f"an RF reference body has 1-{MAX_BODY} characters, got {len(body)}")
    if not _BODY.match(body):
        raise InvalidFormat("an RF reference body has only letters A-Z and digits")
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body
