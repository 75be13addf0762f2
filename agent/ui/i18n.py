"""The counter's texts: the project's catalogues (protocol.i18n) read from agent/ui/locales/.

Screens look every user-facing string up by key through the app's `Catalogue`; what a
language lacks falls back to English (see protocol.i18n), and tests/test_catalogues.py
keeps every catalogue complete.
"""

from __future__ import annotations

from pathlib import Path

from protocol import i18n

LOCALES = Path(__file__).parent / "locales"
FALLBACK = i18n.ENGLISH


def available_languages() -> list[tuple[str, str]]:
    """(code, own name) of every language the counter speaks, English first."""
    return i18n.available_languages(LOCALES)


class Catalogue(i18n.Catalogue):
    """The counter's texts in one language, English where that language has none."""

    def __init__(self, language: str = FALLBACK) -> None:
        super().__init__(LOCALES, language)


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
