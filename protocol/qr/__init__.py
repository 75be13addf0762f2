"""Payment QR codes: one module per format, and `parse()` that finds the format.

    >>> parse('RF18539007547034').format
    'rf'
    >>> parse('hello').format
    'unknown'

Formats are tried by a cheap `detect()` in an order where no earlier test can
claim a later format's payloads: pagoPA (starts 'PAGOPA|'), EPC (starts 'BCD' and
a line break), counterpay's signed order and receipt codes, ZBP (9 '|' fields), a
bare RF reference.  The signed codes (protocol.qr.cp_order / cp_receipt) verify
against a key directory, so `parse` passes `keys` and `now` on to them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from protocol.qr import cp_order, cp_receipt, epc, pagopa, rf, zbp
from protocol.qr.base import MAX_PAYLOAD_CHARS, QrFormatError, QrResult, unknown

__all__ = ["parse", "detect_format", "formats", "QrResult", "QrFormatError"]

_SIGNED = (cp_order, cp_receipt)


def formats() -> list[ModuleType]:
    """Every format module in detection order."""
    return [pagopa, epc, *_SIGNED, zbp, rf]


def detect_format(payload: str) -> str | None:
    """The name of the format a payload claims to be, or None."""
    for module in formats():
        if module.detect(payload):
            return module.FORMAT
    return None


def parse(payload: str, keys: Any = None, now: Any = None) -> QrResult:
    """Read any payment QR payload; never raises for bad input (see QrResult)."""
    if isinstance(payload, (bytes, bytearray)):
        return unknown(["the payload is bytes; decode it first (protocol.qr.image.payload_text)"])
    if not isinstance(payload, str):
        return unknown([f"a payload is text, not {type(payload).__name__}"])
    if len(payload) > MAX_PAYLOAD_CHARS:
        return unknown([f"{len(payload)} characters is more than any QR code can hold"])
    if not payload.strip():
        return unknown(["the payload is empty"])
    for module in (pagopa, epc):
        if module.detect(payload):
            return module.parse(payload)
    for module in _SIGNED:
        if module.detect(payload):
            return module.parse(payload, keys=keys, now=now)
    for module in (zbp, rf):
        if module.detect(payload):
            return module.parse(payload)
    return unknown()

