"""Card numbers (PANs) in free text: find them, so that none is journaled, stored, sent or logged.

A full primary account number must never leave the card terminal (PCI DSS 3.2-3.4); the
terminal gives us at most the last four digits.  Yet a clerk who types the number off a card
into the payer's name, a case reference or a note would put it into the journal, the hub's
database and the webhook a case system receives.  Every free-text field is screened with
`find()` wherever it enters: at the desk before journaling, at the hub's ingest and its API.

A card number here is 13-19 digits, written as one run or in groups split by single spaces or
dashes, whose Luhn check digit is right and whose leading digits belong to a card scheme's
issuer range (ISO/IEC 7812 identifiers of Visa, Mastercard, American Express, Discover, JCB,
Diners, UnionPay, Maestro, Mir, …) with a length that scheme issues.  The scheme ranges keep
the false alarms down: a pagoPA notice number or an IBAN's digits pass Luhn one time in ten,
and a payer refused for an identifier that merely looks like a card cannot pay.

    >>> find('paid with 4111 1111 1111 1111 yesterday')
    ['4111111111111111']
    >>> find('card 5555-5555-5555-4444, ref 12')
    ['5555555555554444']
    >>> find('4111 1111 1111 1112')          # Luhn digit wrong
    []
    >>> find('order 001340000013900808')      # an 18-digit notice number, not a card
    []
    >>> redact('Jan 378282246310005 Kowalski')
    'Jan ***********0005 Kowalski'
    >>> contains('WAW/2026/77')
    False
    >>> find('payment 881fff50-2313-4587-8722-7fc0dc80bc67')   # a UUID the software made
    []
"""

from __future__ import annotations

import re

MIN_LENGTH = 13
MAX_LENGTH = 19

# Runs of digits where single spaces or dashes may split groups ("4111 1111-1111 1111").
_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_GROUP_SPLIT = re.compile(r"[ -]")
_ANY_LONG = re.compile(r"\d(?:[ -]?\d){12}")
# Identifiers the software makes (payment, message and order ids are UUIDs): their hex
# groups joined by dashes can look like grouped digits ("…50-2313-4587-8722-7…" holds a
# 13-digit Maestro-range run that passes Luhn one time in ten), and nobody types a card
# number as a UUID, so their characters are never read as digits.
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")

# (first digits low, high, lengths): issuer ranges of the schemes a counter in the EU meets.
_RANGES: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),                       # Visa
    ("51", "55", frozenset({16})),                             # Mastercard
    ("2221", "2720", frozenset({16})),                         # Mastercard 2-series
    ("34", "34", frozenset({15})), ("37", "37", frozenset({15})),  # American Express
    ("6011", "6011", frozenset(range(16, 20))),                # Discover
    ("644", "649", frozenset(range(16, 20))),
    ("65", "65", frozenset(range(16, 20))),
    ("3528", "3589", frozenset(range(16, 20))),                # JCB
    ("300", "305", frozenset(range(14, 20))),                  # Diners Club
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(16, 20))),
    ("62", "62", frozenset(range(16, 20))),                    # UnionPay
    ("50", "50", frozenset(range(13, 20))),                    # Maestro
    ("56", "69", frozenset(range(13, 20))),
    ("2200", "2204", frozenset(range(16, 20))),                # Mir
)


def luhn_ok(digits: str) -> bool:
    """True when the last digit is the Luhn (ISO/IEC 7812-1 annex B) check digit of the rest."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def in_scheme_range(digits: str) -> bool:
    """True when the number's leading digits and length fit a card scheme's issuer range."""
    for low, high, lengths in _RANGES:
        if len(digits) in lengths and low <= digits[:len(low)] <= high:
            return True
    return False


def is_card_number(digits: str) -> bool:
    """True for a 13-19 digit string that passes Luhn inside a scheme's range."""
    return (MIN_LENGTH <= len(digits) <= MAX_LENGTH and digits.isascii() and digits.isdigit()
            and in_scheme_range(digits) and luhn_ok(digits))


def _without_uuids(text: str) -> str:
    """The text with every UUID's characters replaced by 'x' (positions kept for redact)."""
    return _UUID.sub(lambda found: "x" * len(found.group()), text) if "-" in text else text


def _spans(text: str):
    """(start, end, digits) of each card number in text, the run's groups tried as windows."""
    for run in _RUN.finditer(_without_uuids(text)):
        groups = _GROUP_SPLIT.split(run.group())
        if len(groups) == 1:
            # One unbroken run: a card only if the whole run is one (an account number holds none).
            if is_card_number(groups[0]):
                yield run.start(), run.end(), groups[0]
            continue
        offsets, position = [], run.start()
        for group in groups:
            offsets.append(position)
            position += len(group) + 1
        first = 0
        while first < len(groups):
            digits, found = "", None
            for last in range(first, len(groups)):
                digits += groups[last]
                if len(digits) > MAX_LENGTH:
                    break
                if is_card_number(digits):
                    found = (last, digits)
            if found:
                last, digits = found
                yield offsets[first], offsets[last] + len(groups[last]), digits
                first = last + 1
            else:
                first += 1


def find(text: str) -> list[str]:
    """The card numbers in text, compacted to digits; [] when there is none."""
    if not text or not _ANY_LONG.search(text):
        return []
    return [digits for _start, _end, digits in _spans(text)]


def contains(text: str) -> bool:
    """True when text holds a card number."""
    return bool(find(text))


def redact(text: str) -> str:
    """The text with every card number's digits but the last four replaced by '*'."""
    if not text or not _ANY_LONG.search(text):
        return text
    pieces, position = [], 0
    for start, end, digits in _spans(text):
        pieces.append(text[position:start])
        pieces.append("*" * (len(digits) - 4) + digits[-4:])
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
