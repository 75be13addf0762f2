"""protocol.fastjson gives what the standard library gives: the same values, the same
bytes, the same errors, whichever of orjson or json did the work."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import fastjson

# What the wire carries: no floats (money is integer minor units), any text, any integer.
scalars = st.none() | st.booleans() | st.integers() | st.text()
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


def _stdlib_bytes(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(documents)
def test_dumps_sorted_writes_the_standard_librarys_bytes(value):
    try:
        expected = _stdlib_bytes(value)
    except UnicodeEncodeError:       # a lone surrogate: no UTF-8 for it either way
        with pytest.raises(UnicodeEncodeError):
            fastjson.dumps_sorted(value)
        return
    assert fastjson.dumps_sorted(value) == expected


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans())
def test_loads_reads_the_standard_librarys_values(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert fastjson.loads(text) == json.loads(text)
    if ascii_only:      # bytes too (a non-ASCII dump may hold a lone surrogate, which has no UTF-8)
        assert fastjson.loads(text.encode("utf-8")) == json.loads(text)


def test_what_orjson_refuses_is_read_as_json_reads_it():
    huge = '{"amount_minor": 123456789012345678901234567890}'
    assert fastjson.loads(huge) == {"amount_minor": 123456789012345678901234567890}
    assert math.isnan(fastjson.loads(b'[NaN]')[0])      # as json reads it; orjson refuses NaN
    assert fastjson.loads('"\\ud800"') == "\ud800"
    assert fastjson.dumps_sorted({"n": 2 ** 70}) == b'{"n":1180591620717411303424}'


@pytest.mark.parametrize("raw", [b"", b"{", b'{"a":1,}', b"\xff\xfe", "{'a': 1}"])
def test_bad_json_raises_what_json_raises(raw):
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)) as ours:
        fastjson.loads(raw)
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)) as theirs:
        json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    assert type(ours.value) is type(theirs.value)
