"""Spreadsheet cells that would run as formulas, made inert (OWASP's CSV injection rule).

A spreadsheet program treats a cell that starts with `=`, `+`, `-` or `@` as a formula,
and a leading tab or carriage return can hide one (`=cmd|' /C calc'!A0` runs a program
in some of them).  Such a cell is prefixed with an apostrophe, which spreadsheets show
as text and do not evaluate:

    >>> neutralise("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> neutralise("@SUM(A1:A9)"), neutralise("Anna Bērziņa")
    ("'@SUM(A1:A9)", 'Anna Bērziņa')

Every cell the hub takes from a spreadsheet or writes into one goes through here.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value
