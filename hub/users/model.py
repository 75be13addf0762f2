"""`User`: a hub user as the rest of the hub sees it (never its password hash)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from hub.users.roles import CONSOLE_ROLES, may
from hub.users.scope import Scope

LANGUAGES = ("en", "it", "pl", "lv", "el")
"""The console's languages; English is the default and the catalogues' reference."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    offices: tuple[str, ...] | None        # None: every office
    language: str
    disabled_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "User":
        offices = row["offices"]
        return cls(id=int(row["id"]), username=row["username"], role=row["role"],
                   offices=None if offices is None else tuple(sorted(offices)), language=row["language"],
                   disabled_at=row["disabled_at"], created_at=row["created_at"], updated_at=row["updated_at"])

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return f"user:{self.username}"

    @property
    def scope(self) -> Scope:
        return Scope.of(self.offices)

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    @property
    def may_use_console(self) -> bool:
        return self.role in CONSOLE_ROLES

    def may(self, permission: str) -> bool:
        return may(self.role, permission)

    def public(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role,
                "offices": None if self.offices is None else list(self.offices), "language": self.language,
                "disabled_at": self.disabled_at, "created_at": self.created_at, "updated_at": self.updated_at}
