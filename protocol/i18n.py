"""Texts and formats in the reader's language, the same way for the counter and the hub.

Texts live in JSON catalogues, one per language: `<directory>/<code>.json` holds one object
of key → text, English (`en.json`) is the reference every other catalogue follows, and each
names its language in its own words under `language.name`.  A text may carry `{name}`
placeholders, filled as str.format fills them.  Nothing a translator or a caller gets wrong
stops a screen: a key a catalogue lacks is shown in English, a key English lacks shows as the
key itself, a value the caller did not give shows as its placeholder; each is logged, and
`check_catalogues` (run by the tests over every catalogue directory) finds them first.

Dates, numbers and money follow the language's conventions from the Unicode CLDR, by Babel.
Money comes in as integer minor units, as everywhere in the project, and never passes
through a float:

    >>> format_money(1234, "PLN", "pl")
    '12,34\\xa0zł'
    >>> format_money(1234, "EUR", "it")
    '12,34\\xa0€'
    >>> format_money(123450, "EUR", "lv")
    '1\\xa0234,50\\xa0€'
    >>> format_money(-5, "EUR", "el")
    '-0,05\\xa0€'
    >>> format_money(123456789, "EUR", "en")
    '€1,234,567.89'
    >>> format_money(1500, "JPY", "en"), format_money(1500, "KWD", "en")
    ('¥1,500', 'KWD1.500')
"""

from __future__ import annotations

import copy
import json
import logging
import string
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from protocol.money import exponent

ENGLISH = "en"
LANGUAGE_NAME = "language.name"   # every catalogue names its own language under this key

log = logging.getLogger(__name__)
_FORMATTER = string.Formatter()
_LOGGED: set[tuple[Path, str, str]] = set()


class CatalogueError(ValueError):
    """A catalogue file cannot be used; the message names the file and what to fix."""


# -- catalogues ---------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _read(path: Path) -> Mapping[str, str]:
    """One catalogue file's texts, or an empty catalogue where the file does not exist."""
    if not path.exists():
        return {}
    data = _parse(path)
    wrong = [key for key, text in data.items() if not isinstance(text, str)]
    if wrong:
        raise CatalogueError(f"{path}: the value of {wrong[0]!r} is not a text; a catalogue maps each key to a string")
    return data


def _parse(path: Path) -> dict[str, object]:
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: dict[str, object] = {}
        for key, value in pairs:
            if key in seen:
                raise CatalogueError(f"{path}: key {key!r} appears twice; keep one")
            seen[key] = value
        return seen

    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"{path}: not valid UTF-8 JSON ({exc}); fix the file") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: a catalogue is one JSON object of key → text")
    return data


def _language_file(directory: Path, language: str) -> Path | None:
    """The catalogue for a language code; 'pl-PL' and 'pl_PL' find pl.json."""
    for code in dict.fromkeys([language, language.replace("_", "-").split("-")[0]]):
        path = directory / f"{code}.json"
        if code and path.exists():
            return path
    return None


def available_languages(directory: Path) -> list[tuple[str, str]]:
    """(code, own name) of every catalogue in a directory, English first, then by code."""
    codes = sorted(path.stem for path in Path(directory).glob("*.json"))
    codes.sort(key=lambda code: code != ENGLISH)
    return [(code, _read(Path(directory) / f"{code}.json").get(LANGUAGE_NAME, code)) for code in codes]


class Catalogue:
    """The texts of one language, with English for whatever that language lacks.

    A language without a catalogue is English (`.language` says which one is shown).
    """

    def __init__(self, directory: Path, language: str) -> None:
        directory = Path(directory)
        english = directory / f"{ENGLISH}.json"
        if not english.exists():
            raise CatalogueError(f"no English catalogue at {english}: every catalogue directory needs en.json")
        path = _language_file(directory, language) or english
        self.directory = directory
        self.language = path.stem
        self._texts = _read(path)
        self._english = _read(english)

    def t(self, key: str, **values: object) -> str:
        """The text for a key, its `{name}` placeholders filled from `values`."""
        text = self._texts.get(key)
        if text is None:
            text = self._english.get(key)
            if text is None:
                self._log(key, "has no text in %s nor in English: showing the key", self.language)
                return key
        filled, trouble = _fill(text, values)
        if trouble and self._texts is not self._english and key in self._english:
            # A translator's broken placeholder: English with the same values may work.
            english, english_trouble = _fill(self._english[key], values)
            if not english_trouble:
                self._log(key, "in %s.json: %s; showing English", self.language, trouble)
                return english
        if trouble:
            self._log(key, "in %s: %s", self.language, trouble)
        return filled

    def _log(self, key: str, message: str, *args: object) -> None:
        # Once per text and language: a status line repaints several times a second, and
        # a web page builds a catalogue per request.
        seen = (self.directory, self.language, key)
        if seen not in _LOGGED:
            _LOGGED.add(seen)
            log.warning("text %r " + message, key, *args)


def _fill(text: str, values: Mapping[str, object]) -> tuple[str, str]:
    """The text with its placeholders filled, and what could not be filled ('' if all)."""
    if "{" not in text and "}" not in text:
        return text, ""
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError as exc:
        return text, f"its braces are malformed ({exc})"
    out: list[str] = []
    missing: list[str] = []
    for literal, field, spec, conversion in parts:
        out.append(literal)
        if field is None:
            continue
        try:
            value, _ = _FORMATTER.get_field(field, (), values)
            out.append(_FORMATTER.format_field(_FORMATTER.convert_field(value, conversion), spec or ""))
        except (KeyError, IndexError, AttributeError, TypeError, ValueError):
            missing.append(field)
            out.append("{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return "".join(out), (f"no value for {', '.join(missing)}" if missing else "")


def placeholders(text: str) -> set[str]:
    """The names of a text's placeholders: {'amount', 'tender'} for 'Paying {amount} by {tender}'.

    >>> sorted(placeholders("Paying {amount} by {tender!s:>8}, {{literal}}"))
    ['amount', 'tender']
    """
    return {field for _, field, _, _ in _FORMATTER.parse(text) if field is not None}


# -- checking ---------------------------------------------------------------------------

def check_catalogues(directory: Path) -> list[str]:
    """Every problem in a directory's catalogues, each naming its file and key; [] when sound.

    Each catalogue must have exactly English's keys, every value a string, and the same
    placeholders as English in each text.
    """
    directory = Path(directory)
    english_path = directory / f"{ENGLISH}.json"
    if not english_path.exists():
        return [f"{english_path}: missing; English is the reference every catalogue follows"]
    problems: list[str] = []
    english = _checked_texts(english_path, problems)
    if english is None:
        return problems
    if LANGUAGE_NAME not in english:
        problems.append(f"{english_path}: key {LANGUAGE_NAME!r} missing (the language's own name)")
    for path in sorted(directory.glob("*.json")):
        if path == english_path:
            continue
        texts = _checked_texts(path, problems)
        if texts is None:
            continue
        problems += [f"{path}: key {key!r} missing (English: {english[key]!r})" for key in english if key not in texts]
        problems += [f"{path}: key {key!r} is not in en.json (a typo, or a key English dropped?)"
                     for key in texts if key not in english]
        for key, text in texts.items():
            if key in english and placeholders(text) != placeholders(english[key]):
                problems.append(f"{path}: key {key!r}: placeholders {sorted(placeholders(text))} "
                                f"differ from English's {sorted(placeholders(english[key]))}")
    return problems


def _checked_texts(path: Path, problems: list[str]) -> dict[str, str] | None:
    """The well-formed texts of one file, their problems appended; None if unreadable."""
    try:
        data = _parse(path)
    except CatalogueError as exc:
        problems.append(str(exc))
        return None
    texts: dict[str, str] = {}
    for key, text in data.items():
        if not isinstance(text, str):
            problems.append(f"{path}: key {key!r}: the value is {type(text).__name__}, not a string")
            continue
        try:
            fields = placeholders(text)
        except ValueError as exc:
            problems.append(f"{path}: key {key!r}: malformed braces ({exc}); write a literal brace as {{{{ or }}}}")
            continue
        if any(not field or field.isdigit() for field in fields):
            problems.append(f"{path}: key {key!r}: positional placeholder; name it, e.g. {{amount}}")
        texts[key] = text
    return texts


# -- formats ----------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    """The CLDR locale for a language code; English for a code CLDR does not know."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError, AttributeError):
        return Locale.parse(ENGLISH)


def format_money(minor: int, currency: str, language: str) -> str:
    """An amount in minor units as the language writes money (examples in the module docstring).

    Exactly as many decimals as the currency has minor units (ISO 4217), whatever CLDR's
    rounding for cash says.
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"money is integer minor units (cents), got {minor!r}")
    digits = exponent(currency)
    amount = Decimal(minor).scaleb(-digits)
    locale = _locale(language)
    # A copy: parse_pattern's result may be shared, and its decimals are set here.
    pattern = copy.copy(babel_numbers.parse_pattern(locale.currency_formats["standard"]))
    pattern.frac_prec = (digits, digits)
    return pattern.apply(amount, locale, currency=currency, currency_digits=False)


def format_number(value: int | Decimal, language: str) -> str:
    """A count or an exact decimal as the language writes numbers.

    >>> format_number(1234567, "pl"), format_number(1234567, "it"), format_number(1234567, "en")
    ('1\\xa0234\\xa0567', '1.234.567', '1,234,567')
    >>> format_number(Decimal("1234.5"), "lv"), format_number(Decimal("0.25"), "el")
    ('1\\xa0234,5', '0,25')
    """
    if isinstance(value, float):
        raise TypeError(f"format_number takes an int or a Decimal, not a float ({value!r}): floats are not exact")
    return babel_numbers.format_decimal(value, locale=_locale(language), decimal_quantization=False)


def format_date(value: date | datetime, language: str, *, time: bool = False) -> str:
    """A date, or a date and time of day (hours and minutes), as the language writes them.

    A datetime is shown in its own time zone: convert it to the office's zone first.

    >>> day = date(2025, 3, 7)
    >>> [format_date(day, code) for code in ("en", "pl", "it", "el", "lv")]
    ['Mar 7, 2025', '7 mar 2025', '7 mar 2025', '7 Μαρ 2025', '2025. gada 7. marts']
    >>> at = datetime(2025, 3, 7, 14, 5)
    >>> format_date(at, "pl", time=True), format_date(at, "it", time=True)
    ('7 mar 2025, 14:05', '7 mar 2025, 14:05')
    >>> format_date(at, "lv", time=True), format_date(at, "en", time=True)
    ('2025. gada 7. marts 14:05', 'Mar 7, 2025, 2:05\\u202fPM')
    >>> format_date(at, "el", time=True)
    '7 Μαρ 2025, 2:05\\u202fμ.μ.'
    """
    locale = _locale(language)
    if not time:
        return babel_dates.format_date(value, "medium", locale=locale)
    if not isinstance(value, datetime):
        raise TypeError(f"a date has no time of day; pass a datetime to show one (got {value!r})")
    day = babel_dates.format_date(value, "medium", locale=locale)
    clock = babel_dates.format_time(value, "short", tzinfo=value.tzinfo, locale=locale)
    # CLDR's pattern for joining a date and a time ("{1}, {0}" in English, "{1} {0}" in Latvian).
    joined = babel_dates.get_datetime_format("medium", locale=locale)
    return joined.replace("'", "").replace("{1}", day).replace("{0}", clock)
