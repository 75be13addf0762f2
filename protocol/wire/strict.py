"""What every wire message model is built from: a strict, frozen pydantic base, and the
check that a whole-set document (a roster, the card activation set) names each key once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

Entry = TypeVar("Entry")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def listed_once(entries: Sequence[Entry], key: Callable[[Entry], str], what: str) -> Sequence[Entry]:
    """`entries` as given, or a ValueError naming the first `what` listed twice."""
    seen: set[str] = set()
    for entry in entries:
        if key(entry) in seen:
            raise ValueError(f"{what} {key(entry)} is listed twice")
        seen.add(key(entry))
    return entries
