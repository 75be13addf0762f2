"""Every catalogue in the project is complete, and the one catalogue mechanism behaves.

Catalogue directories are found, not listed: any `locales/en.json` under agent/ or hub/ is
checked, so a new screen's or page's catalogues are covered the day they land.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from protocol.i18n import Catalogue, CatalogueError, available_languages, check_catalogues

ROOT = Path(__file__).resolve().parent.parent
DIRECTORIES = sorted(path.parent for top in ("agent", "hub") for path in (ROOT / top).rglob("locales/en.json"))
LANGUAGES = {"en", "pl", "it", "el", "lv"}


def write(directory: Path, code: str, texts: dict | str) -> None:
    text = texts if isinstance(texts, str) else json.dumps(texts, ensure_ascii=False)
    (directory / f"{code}.json").write_text(text, encoding="utf-8")


def test_the_agents_catalogues_are_found():
    assert ROOT / "agent" / "ui" / "locales" in DIRECTORIES


@pytest.mark.parametrize("directory", DIRECTORIES, ids=[str(d.relative_to(ROOT)) for d in DIRECTORIES])
def test_every_catalogue_has_every_english_key_with_the_same_placeholders(directory):
    assert check_catalogues(directory) == []


@pytest.mark.parametrize("directory", DIRECTORIES, ids=[str(d.relative_to(ROOT)) for d in DIRECTORIES])
def test_every_catalogue_directory_speaks_the_five_languages(directory):
    assert {code for code, _ in available_languages(directory)} >= LANGUAGES


# -- check_catalogues finds each kind of problem, naming file and key ------------------------

@pytest.fixture
def locales(tmp_path):
    write(tmp_path, "en", {"language.name": "English", "pay.total": "To pay: {amount}", "pay.card": "Card"})
    return tmp_path


def test_sound_catalogues_have_no_problems(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.total": "Do zapłaty: {amount}", "pay.card": "Karta"})
    assert check_catalogues(locales) == []


def test_a_key_the_translation_lacks_is_a_problem(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.total": "Do zapłaty: {amount}"})
    [problem] = check_catalogues(locales)
    assert "pl.json" in problem and "'pay.card' missing" in problem


def test_a_key_english_lacks_is_a_problem(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.total": "Do zapłaty: {amount}", "pay.card": "Karta",
                          "pay.crad": "Karta"})
    [problem] = check_catalogues(locales)
    assert "pl.json" in problem and "'pay.crad' is not in en.json" in problem


def test_placeholders_that_differ_from_english_are_a_problem(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.total": "Do zapłaty: {kwota}", "pay.card": "Karta"})
    [problem] = check_catalogues(locales)
    assert "pl.json" in problem and "'pay.total'" in problem and "['kwota']" in problem and "['amount']" in problem


def test_a_value_that_is_not_a_string_is_a_problem(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.total": ["Do zapłaty"], "pay.card": "Karta"})
    problems = check_catalogues(locales)
    assert any("pl.json" in p and "'pay.total'" in p and "not a string" in p for p in problems), problems


def test_malformed_json_and_braces_and_duplicate_keys_are_problems(locales):
    write(locales, "pl", '{"language.name": "Polski", "pay.total": ')
    write(locales, "it", {"language.name": "Italiano", "pay.total": "Da pagare: {amount", "pay.card": "Carta"})
    write(locales, "lv", '{"language.name": "Latviešu", "pay.total": "{amount}", "pay.card": "a", "pay.card": "b"}')
    problems = check_catalogues(locales)
    assert any("pl.json" in p and "not valid UTF-8 JSON" in p for p in problems), problems
    assert any("it.json" in p and "'pay.total'" in p and "malformed braces" in p for p in problems), problems
    assert any("lv.json" in p and "'pay.card' appears twice" in p for p in problems), problems


def test_a_directory_without_english_is_a_problem(tmp_path):
    write(tmp_path, "pl", {"language.name": "Polski"})
    [problem] = check_catalogues(tmp_path)
    assert "en.json" in problem and "missing" in problem


# -- Catalogue -------------------------------------------------------------------------------

def test_a_key_a_language_lacks_is_shown_in_english(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.total": "Do zapłaty: {amount}"})
    polish = Catalogue(locales, "pl")
    assert polish.language == "pl"
    assert polish.t("pay.total", amount="12,34 zł") == "Do zapłaty: 12,34 zł"
    assert polish.t("pay.card") == "Card"


def test_a_key_english_lacks_shows_as_itself_and_is_logged(locales, caplog):
    with caplog.at_level(logging.WARNING, logger="protocol.i18n"):
        assert Catalogue(locales, "en").t("pay.nothing") == "pay.nothing"
    assert "pay.nothing" in caplog.text


def test_a_value_the_caller_did_not_give_shows_its_placeholder_and_is_logged(locales, caplog):
    with caplog.at_level(logging.WARNING, logger="protocol.i18n"):
        assert Catalogue(locales, "en").t("pay.total") == "To pay: {amount}"
        assert Catalogue(locales, "en").t("pay.total", amout=5) == "To pay: {amount}"
    assert "pay.total" in caplog.text and "amount" in caplog.text


def test_a_translators_broken_placeholder_shows_english(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.total": "Do zapłaty: {kwota}", "pay.card": "Karta"})
    assert Catalogue(locales, "pl").t("pay.total", amount="12,34 zł") == "To pay: 12,34 zł"


def test_an_unknown_language_is_english_and_a_regional_code_finds_its_language(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.card": "Karta"})
    assert Catalogue(locales, "xx").language == "en"
    assert Catalogue(locales, "pl-PL").t("pay.card") == "Karta"
    assert Catalogue(locales, "pl_PL").language == "pl"


def test_a_directory_without_english_cannot_be_a_catalogue(tmp_path):
    with pytest.raises(CatalogueError, match="en.json"):
        Catalogue(tmp_path, "pl")


def test_a_catalogue_that_is_not_an_object_of_texts_is_refused(locales):
    write(locales, "pl", {"language.name": "Polski", "pay.card": 3})
    with pytest.raises(CatalogueError, match="pay.card"):
        Catalogue(locales, "pl")


def test_languages_are_listed_english_first_by_their_own_names(locales):
    write(locales, "pl", {"language.name": "Polski"})
    write(locales, "el", {"language.name": "Ελληνικά"})
    assert available_languages(locales) == [("en", "English"), ("el", "Ελληνικά"), ("pl", "Polski")]
