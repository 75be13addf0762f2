"""A bare ISO 11649 RF creditor reference as a QR code (Greek DIAS payment codes and others).

The whole payload is the reference, compact or in groups of four; the MOD 97-10
digits are the checks verdict.

    >>> parse('RF18 5390 0754 7034').fields['reference']
    'RF18539007547034'
    >>> parse('RF19539007547034').checks_ok
    False
"""

from __future__ import annotations

import re
from typing import Any

from protocol.ids import rf as rf_id
from protocol.qr.base import QrFormatError, QrResult, verdict
from protocol.qr.checks import rf_ok

FORMAT = "rf"
_SHAPE = re.compile(r"^RF\d{2}[0-9A-Z]{1,21}$")
_MAX_TEXT = 40  # 25 characters and their group spaces


def detect(payload: str) -> bool:
    head = payload.strip()
    return len(head) <= _MAX_TEXT and head[:2].upper() == "RF" and "|" not in head and "\n" not in head


def parse(payload: str) -> QrResult:
    fields: dict[str, Any] = {"amount_minor": None, "currency": None, "reference": None}
    text = payload.strip()
    if len(text) > _MAX_TEXT:
        return verdict(FORMAT, [f"an RF reference has at most 25 characters, got {len(text)}"], [], fields, False)
    ref = text.replace(" ", "").upper()
    if not _SHAPE.match(ref) or not ref.isascii():
        return verdict(FORMAT, [f"an RF reference is 'RF', 2 check digits and 1-21 letters or digits; "
                                f"got {text!r}"], [], fields, checked=False)
    fields["reference"] = ref
    wrong = [] if rf_ok(ref) else [f"the RF reference {ref} fails its check digits"]
    return verdict(FORMAT, [], wrong, fields, checked=True)


def validate(payload: str) -> QrResult:
    return parse(payload).raise_unless_valid()


def is_valid(payload: str) -> bool:
    return parse(payload).valid


def make(reference_body: str) -> str:
    """The RF reference for a body (1-21 letters and digits), with its check digits."""
    try:
        return rf_id.generate(reference_body)
    except ValueError as exc:
        raise QrFormatError(str(exc)) from None
