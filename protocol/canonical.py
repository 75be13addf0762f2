"""Canonical bytes for signing: one byte string for one logical document.

JSON with sorted keys, no insignificant white space, UTF-8, and no floats: money is
integer minor units and a float would make two implementations disagree on the bytes.
"""

from __future__ import annotations

import json
from typing import Any


class CanonicalError(ValueError):
    """The document holds something with no canonical form (a float, a non-string key)."""


def _check(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed (use integer minor units)")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: keys must be strings")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise CanonicalError(f"{path}: {type(value).__name__} has no canonical JSON form")


def canonical_bytes(document: Any, *, check: bool = True) -> bytes:
    """The exact bytes that are signed and verified.

    `check=False` skips the walk for floats and odd types: only for a document whose
    every value a strict schema has already checked (it costs a third of verifying)."""
    if check:
        _check(document, "$")
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")
