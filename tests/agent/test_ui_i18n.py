"""Translation catalogues: every key the UI uses exists in English; other languages fall back."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from agent.ui import i18n
from agent.ui.i18n import Catalogue, available_languages

UI = Path(i18n.__file__).parent
ENGLISH = json.loads((UI / "locales" / "en.json").read_text(encoding="utf-8"))
# Keys built at run time from the core's vocabularies (AgentStatus, PaymentOutcome, CodeVerdict).
DYNAMIC = {
    "terminal": ["ready", "busy", "offline", "unknown outcome", "not configured"],
    "tender": ["card", "cash"],
    "outcome": ["approved", "declined", "aborted", "unknown", "operator_check", "refused"],
    "verdict": ["valid", "check digits wrong", "structure wrong", "expired", "bad signature",
                "unknown key", "revoked", "unknown code", "not an order"],
    "refusal": ["card_number", "receipt_as_order"],
    "field": ["payer_name", "payer_id", "operator", "case_ref", "order_id", "reference", "positions"],
}


def _keys_in_source() -> set[str]:
    found = set()
    for path in UI.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_ ]+)["']""", source))
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_the_ui_uses_has_an_english_text():
    used = _keys_in_source() | {f"{prefix}.{v}" for prefix, values in DYNAMIC.items() for v in values}
    assert len(used) > 100
    missing = sorted(used - ENGLISH.keys())
    assert not missing, f"keys used by the UI but missing from en.json: {missing}"


@pytest.mark.parametrize("code", [code for code, _ in available_languages()])
def test_every_catalogue_is_a_subset_of_english_with_the_same_placeholders(code):
    catalogue = json.loads((UI / "locales" / f"{code}.json").read_text(encoding="utf-8"))
    assert "language.name" in catalogue
    extra = sorted(catalogue.keys() - ENGLISH.keys())
    assert not extra, f"{code}.json has keys English lacks (typos?): {extra}"
    for key, text in catalogue.items():
        assert _placeholders(text) == _placeholders(ENGLISH[key]), f"{code}.json {key}: placeholders differ"


def test_a_partial_catalogue_falls_back_to_english_per_key():
    polish = Catalogue("pl")
    assert polish.t("kiosk.confirm") == "Sprawdź kwotę"
    assert "kiosk.confirm" in json.loads((UI / "locales" / "pl.json").read_text(encoding="utf-8"))
    assert "tech.tab_log" not in json.loads((UI / "locales" / "pl.json").read_text(encoding="utf-8"))
    assert polish.t("tech.tab_log") == ENGLISH["tech.tab_log"]
    assert polish.t("status.outbox", depth=7) == "outbox 7"


def test_an_unknown_language_is_english_and_an_unknown_key_shows_itself():
    assert Catalogue("xx").language == "en"
    assert Catalogue("en").t("no.such_key") == "no.such_key"


def test_a_broken_translation_placeholder_falls_back_to_english(tmp_path, monkeypatch):
    (tmp_path / "en.json").write_text(json.dumps({"language.name": "English", "a.b": "outbox {depth}"}))
    (tmp_path / "zz.json").write_text(json.dumps({"language.name": "Zz", "a.b": "outbox {deepth}"}))
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.load_catalogue.cache_clear()
    try:
        assert Catalogue("zz").t("a.b", depth=3) == "outbox 3"
        assert [c for c, _ in available_languages()] == ["en", "zz"]
    finally:
        i18n.load_catalogue.cache_clear()
