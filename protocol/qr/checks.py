"""Check-digit verdicts for the QR parsers, fast enough for a scanner stream.

The arithmetic is python-stdnum's.  Two things make it fast: identifiers of the
*creditor* (IBAN, BIC, NIP, fiscal code) repeat on nearly every code a counter
sees, so their verdicts are kept in a bounded LRU cache; and references that change
with every payment (RF) go straight to stdnum's MOD 97-10 on the already-compact
text, skipping stdnum's Unicode clean-up that the parsers' shape checks made moot.
"""

from __future__ import annotations

from functools import lru_cache

from stdnum import bic, iban
from stdnum.iso7064 import mod_97_10
from stdnum.exceptions import ValidationError
from stdnum.pl import nip

from protocol.ids import italy

_CACHE = 4096  # a few thousand creditors; bounded so junk input cannot grow memory

iban_ok = lru_cache(maxsize=_CACHE)(iban.is_valid)
bic_ok = lru_cache(maxsize=_CACHE)(bic.is_valid)
nip_ok = lru_cache(maxsize=_CACHE)(nip.is_valid)


@lru_cache(maxsize=_CACHE)
def italian_vat_error(number: str) -> ValidationError | None:
    """Why a partita IVA is invalid (InvalidChecksum when only its Luhn digit is), or None."""
    try:
        italy.validate_vat(number)
    except ValidationError as exc:
        return exc
    return None


def rf_ok(reference: str) -> bool:
    """ISO 11649 check of a compact, upper-case 'RFnn…' reference (shape already checked)."""
    try:
        return mod_97_10.is_valid(reference[4:] + reference[:4])
    except ValueError:
        return False
