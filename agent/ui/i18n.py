"""Translatable texts: one JSON catalogue per language in agent/ui/locales/, English first.

Every user-facing string is looked up by key.  A catalogue may be partial: a key it
lacks falls back to English, and a key English lacks shows as the key itself (a test
keeps that from happening).  `{name}` placeholders are filled with str.format.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "en"


@lru_cache(maxsize=None)
def load_catalogue(language: str) -> dict[str, str]:
    path = LOCALES / f"{language}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path}: a catalogue is one JSON object of key -> text")
    return data


def available_languages() -> list[tuple[str, str]]:
    """(code, own name) of every catalogue, English first."""
    codes = sorted(p.stem for p in LOCALES.glob("*.json"))
    codes.sort(key=lambda c: c != FALLBACK)
    return [(c, load_catalogue(c).get("language.name", c)) for c in codes]


class Catalogue:
    """Texts in one language, English where that language has no text yet."""

    def __init__(self, language: str = FALLBACK) -> None:
        self.language = language if (LOCALES / f"{language}.json").exists() else FALLBACK
        self._texts = load_catalogue(self.language)
        self._english = load_catalogue(FALLBACK)

    def t(self, key: str, **values: object) -> str:
        text = self._texts.get(key)
        if text is None:
            text = self._english.get(key, key)
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                # A translator's broken placeholder must not crash a kiosk.
                return self._english.get(key, key).format(**values)
        return text


def translate_bindings(node, t) -> None:
    """Show a screen's key bindings in the catalogue's language.

    BINDINGS name their description by catalogue key (e.g. "keys.back"); Textual keeps
    the bindings per node, so they are replaced by copies with the translated text.
    Called from a screen's __init__, before the footer first reads them.
    """
    import dataclasses

    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            dataclasses.replace(b, description=t(b.description)) if b.description.startswith("keys.") else b
            for b in bindings]
