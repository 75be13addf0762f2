"""How amounts and times look on screen."""

from __future__ import annotations

from protocol.money import Money


def money(minor: int | None, currency: str | None) -> str:
    if minor is None:
        return "—"
    currency = currency or "EUR"
    return f"{Money(minor, currency).format()} {currency}"


def elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def age(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
