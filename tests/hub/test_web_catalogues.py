"""The console's catalogues: every language has every English key, with the same placeholders."""

from __future__ import annotations

import json
import string

import pytest

from hub.web.i18n import LOCALES
from hub.users.model import LANGUAGES

ENGLISH = json.loads((LOCALES / "en.json").read_text(encoding="utf-8"))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_a_catalogue_has_every_key_with_the_english_placeholders(language):
    texts = json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    assert set(texts) == set(ENGLISH)
    assert {key: _placeholders(text) for key, text in texts.items()} == \
        {key: _placeholders(text) for key, text in ENGLISH.items()}
