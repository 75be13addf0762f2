"""JSON parsed and written by orjson where it gives the same values and bytes as the
standard library, and by the standard library where orjson refuses.

The hub's ingest parses every envelope twice (the checks, then the store process) and
writes a webhook payload per payment: with `json` that was about 15 µs of an event's
CPU, with orjson about 2.  orjson refuses what `json` takes (NaN, lone surrogates) and
reads an integer beyond 64 bits as a float: those inputs go to `json` unchanged (any
run of 19 digits or more, even inside a string, sends the text there), so a value or
an error is exactly the one the standard library gives.  For what orjson does take, `loads`
gives the same values, and `dumps_sorted` the same bytes as `json.dumps(…,
separators=(",", ":"), ensure_ascii=False, sort_keys=True)` encoded as UTF-8.
Signatures are still made and checked over protocol.canonical's bytes, never these.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson


# Every integer of up to 18 digits fits in 64 bits, which orjson reads exactly.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_LONG_DIGITS_TEXT = re.compile(r"[0-9]{19}")


def loads(raw: bytes | str) -> Any:
    """`json.loads(raw)`, faster; raises json.JSONDecodeError (or UnicodeDecodeError) as json does."""
    if (_LONG_DIGITS if isinstance(raw, bytes) else _LONG_DIGITS_TEXT).search(raw):
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        return json.loads(raw)


def dumps_sorted(value: Any) -> bytes:
    """Compact, keys sorted, UTF-8, not ASCII-escaped: the bytes json.dumps gives so, for a
    document without floats (money is integer minor units; orjson would write NaN as null)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:       # orjson.JSONEncodeError: a type or value only json writes (or refuses alike)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")
