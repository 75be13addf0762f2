"""`Scope`: the offices a user or an API token may see and change, enforced in one place.

Pages, typed URLs and the API all filter through the same object:

    >>> from sqlalchemy import column
    >>> Scope.of(["ROMA-1", "ROMA-2"]).allows("ROMA-1"), Scope.of(["ROMA-1"]).allows("MILANO")
    (True, False)
    >>> Scope.everything().allows("ANY"), Scope.everything().offices is None
    (True, True)
    >>> print(Scope.of(["ROMA-1"]).filter(column("office")))
    office IN (__[POSTCOMPILE_office_1])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import ColumnElement, true


@dataclass(frozen=True)
class Scope:
    offices: frozenset[str] | None = None
    """The office codes allowed; None: every office."""

    @classmethod
    def everything(cls) -> "Scope":
        return cls(None)

    @classmethod
    def of(cls, offices: Iterable[str] | None) -> "Scope":
        """A scope of these offices; None (not an empty list) means every office."""
        return cls(None if offices is None else frozenset(offices))

    @property
    def is_everything(self) -> bool:
        return self.offices is None

    def allows(self, office: str | None) -> bool:
        if self.offices is None:
            return True
        return office is not None and office in self.offices

    def filter(self, column: ColumnElement) -> ColumnElement[bool]:
        """A WHERE clause: `column IN offices`, or always true for every office."""
        if self.offices is None:
            return true()
        return column.in_(sorted(self.offices))

    def describe(self) -> str:
        return "all offices" if self.offices is None else ", ".join(sorted(self.offices))
