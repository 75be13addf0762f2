"""The console's texts and formats, through the one catalogue mechanism of hub and agent.

The catalogues are hub/web/locales/<language>.json, English the reference
(protocol.i18n checks and loads them); money, dates and numbers are formatted per
language with CLDR's rules.  Templates and routes call only this module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from protocol import i18n
from hub.users.model import LANGUAGES

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LOCALES", "catalogue", "format_date", "format_money", "format_number"]


def catalogue(language: str) -> i18n.Catalogue:
    return i18n.Catalogue(LOCALES, language if language in LANGUAGES else DEFAULT_LANGUAGE)


def format_money(minor: int, currency: str, language: str) -> str:
    return i18n.format_money(minor, currency, language)


def format_number(value: int, language: str) -> str:
    return i18n.format_number(value, language)


def format_date(value: dt.date | dt.datetime, language: str) -> str:
    return i18n.format_date(value, language, time=isinstance(value, dt.datetime))
