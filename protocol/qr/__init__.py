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

import importlib
from types import ModuleType
from typing import Any

from protocol.qr import epc, pagopa, rf, zbp
from protocol.qr.base import MAX_PAYLOAD_CHARS, QrFormatError, QrResult, unknown

__all__ = ["parse", "detect_format", "formats", "QrResult", "QrFormatError"]

_SIGNED = ("protocol.qr.cp_order", "protocol.qr.cp_receipt")
_signed_cache: list[ModuleType] | None = None


def _signed_modules() -> list[ModuleType]:
    """The signed-code modules that exist in this checkout (imported once, lazily)."""
    global _signed_cache
    if _signed_cache is None:
        found = []
        for name in _SIGNED:
            try:
                found.append(importlib.import_module(name))
            except ImportError:
                continue
        _signed_cache = found
    return _signed_cache


def formats() -> list[ModuleType]:
    """Every format module in detection order."""
    return [pagopa, epc, *_signed_modules(), zbp, rf]


def detect_format(payload: str) -> str | None:
    """The name of the format a payload claims to be, or None."""
    for module in formats():
        detect = getattr(module, "detect", None)
        if detect is not None and detect(payload):
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
    for module in _signed_modules():
        result = _parse_signed(module, payload, keys, now)
        if result is not None:
            return result
    for module in (zbp, rf):
        if module.detect(payload):
            return module.parse(payload)
    return unknown()


def _parse_signed(module: ModuleType, payload: str, keys: Any, now: Any) -> QrResult | None:
    detect = getattr(module, "detect", None)
    if detect is not None:
        return module.parse(payload, keys=keys, now=now) if detect(payload) else None
    # Without detect(), a signed module says "not mine" by answering 'unknown'.
    result = module.parse(payload, keys=keys, now=now)
    return None if result.format == "unknown" else result
