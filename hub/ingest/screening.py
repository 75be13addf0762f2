"""Card numbers in what agents send: the field that holds one, so the event is refused.

A full card number never leaves the terminal (protocol/card_numbers.py says why); an
event carrying one in any text (payer, operator, case reference, position names, card
details, diagnostics, the keys of a dict) is not stored, not forwarded to a case
system and not logged.  Every `str` of the body is screened, so a field added to the
wire later is screened without anyone remembering to list it.

Cheap for clean events: one prefilter over the message's text rules out nearly all of
them (a card number in a field stands in the JSON text as written, between quotes);
only when that finds something, or the text escapes characters as \\uXXXX, are the
fields walked one by one.
"""

from __future__ import annotations

import re
from typing import Any

from protocol import card_numbers
from protocol.ids import iban, pagopa, rf

_IUV_LENGTHS = (15, 17)

# Every card number, as `card_numbers` finds it (ASCII digits only), is a run of at least
# 13 characters of digits, spaces and dashes that starts with a digit: this finds every
# such run in a message's text in about 3 µs, a quarter of walking the fields.
_MAYBE_CARD = re.compile(r"[0-9][0-9 -]{12}")


def _structured_reference(format_: str | None, value: str) -> bool:
    """True for a reference value that validates as its own format.

    These are exempt because a false alarm would refuse a real payment: an 18-digit
    pagoPA notice number, an RF reference or an IBAN carries its own check digits and
    passes them, and an IUV (15 or 17 digits, named by a pagoPA reference) is the
    number the creditor printed.  Each also passes Luhn now and then; none is a card.
    """
    compact = value.replace(" ", "").replace("-", "")
    if pagopa.is_valid(compact) or rf.is_valid(compact) or iban.is_valid(compact):
        return True
    return format_ == "pagopa" and compact.isdigit() and len(compact) in _IUV_LENGTHS


def _walk(value: Any, path: str):
    """(path, text) of every string in a JSON value, dict keys included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}" if path else key, key
            yield from _walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def card_number_field(body: dict[str, Any], raw: str | None = None) -> str | None:
    """The path of the first field of `body` holding a card number (`payer.name`,
    `positions[2].name`), or None.  `raw`, the message's text, lets clean ones pass fast."""
    if raw is not None and "\\u" not in raw and not _MAYBE_CARD.search(raw):
        return None
    reference = body.get("reference") if isinstance(body.get("reference"), dict) else {}
    for path, text in _walk(body, ""):
        if not card_numbers.contains(text):
            continue
        if path == "reference.value" and _structured_reference(reference.get("format"), text):
            continue
        return path
    return None
