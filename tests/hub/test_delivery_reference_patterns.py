"""Routing by reference: every reference format an agent sends reaches a pattern that can name it."""

from __future__ import annotations

import pytest

from hub.casesys.registry import PATTERN_FORMATS, Pattern, reference_values
from protocol.domain import ReferenceFormat


@pytest.mark.parametrize("fmt", list(ReferenceFormat))
def test_each_reference_format_gives_values_a_pattern_can_match(fmt):
    values = reference_values({"reference_format": str(fmt), "reference_value": "X-1"}, {})
    assert values["reference"] == "X-1"
    if fmt in PATTERN_FORMATS:
        assert values[fmt] == "X-1" and Pattern(on=fmt, regex="X-.*").on == fmt
    elif fmt == ReferenceFormat.CASE:
        assert values["case_ref"] == "X-1"      # a typed case number is matched as the case reference
    else:
        assert set(values) == {"reference"}


@pytest.mark.parametrize("on", ["case", "none", "iban"])
def test_a_pattern_on_a_format_without_its_own_value_is_refused(on):
    with pytest.raises(ValueError):
        Pattern(on=on, regex=".*")
