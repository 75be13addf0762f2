"""API tokens: random, shown once, stored only as a SHA-256 hash, each with one role.

Tokens are 32 random bytes (url-safe base64), so a fast hash is enough: there is
nothing to brute-force that a salt or a slow hash would protect.

Roles: admin (everything, creates tokens), operator (orders, linking, catalogue),
auditor (read-only, audit log), case-system (its cases' payments, verification).

A case-system token belongs to one registered case system, named when it is created,
and answers only for that case system's cases, payments and orders (hub/api/scope.py).
Any other token may be made for named offices (`offices`); it then sees and changes
only their orders, payments and agents, as a console user of those offices does.
Without `offices` a token answers for every office.

A console user's browser calls the API with its session cookie instead of a token
(hub/api/deps.py): its `Principal` is made by `for_user`, with the user's console role
and offices; each route then asks for a console permission (hub/users/roles.py), not a
token role.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.casesys import registry
from hub.errors import InvalidInput
from hub.store.tables import api_tokens
from hub.store.timeutil import now_iso
from hub.users.model import User
from hub.users.scope import Scope
from hub.users.service import OFFICE

ROLES = ("admin", "operator", "auditor", "case-system", "agent", "metrics")
"""agent: issued at enrollment, one per agent; it may only look cases up for its clerk.
metrics: a Prometheus scraper's; it may read /metrics and nothing else."""
TOKEN_PREFIX = "cph_"
CASE_SYSTEM_ROLE = "case-system"


class TokenRefused(ValueError, InvalidInput):
    """A token that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Principal:
    token_id: int | None                # None for a console user calling with its session
    name: str
    role: str
    case_system: str | None = None      # set for, and only for, a case-system token
    # The offices the caller may see and change (hub.users.scope); by default every office.
    scope: Scope = field(default_factory=Scope.everything)
    user: User | None = None            # the console user behind a session cookie
    csrf_token: str | None = None       # that session's CSRF token, which its non-GET requests must send

    @property
    def actor(self) -> str:
        """How the audit log names the caller: the user by name, or the token."""
        if self.user is not None:
            return self.user.actor
        return f"token:{self.token_id}:{self.name}"


def for_user(user: User, csrf_token: str) -> Principal | None:
    """The caller a console user is on the API, or None for a role the console does not admit (desk).

    Its `role` is the console role: routes check the user's permissions, never this role."""
    if not user.may_use_console:
        return None
    return Principal(None, user.username, user.role, scope=user.scope, user=user, csrf_token=csrf_token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(conn: Connection, name: str, role: str, created_by: str,
                 case_system: str | None = None, offices: Iterable[str] | None = None) -> tuple[str, int]:
    """Create a token; returns (the token, shown only now, and its id).

    A case-system token needs `case_system`, the name of a registered case system;
    no other role takes one.  `offices` (None: every office) bounds what any other
    token sees; a case-system token takes none.
    """
    if role not in ROLES:
        raise TokenRefused(f"role {role!r} is unknown; expected one of {', '.join(ROLES)}")
    listed = _clean_offices(role, offices)
    if role == CASE_SYSTEM_ROLE:
        if not case_system:
            raise TokenRefused("a case-system token belongs to one case system: name it (case_system)")
        if registry.get(conn, case_system) is None:
            raise TokenRefused(f"case system {case_system!r} is not registered; register it first "
                               "(POST /api/v1/case-systems)")
    elif case_system is not None:
        raise TokenRefused(f"only a case-system token names a case system, not a {role} token")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    result = conn.execute(api_tokens.insert().values(name=name, role=role, token_hash=hash_token(token),
                                                     created_at=now_iso(), created_by=created_by,
                                                     case_system=case_system,
                                                     # left out, not None: JSON would store None as 'null'
                                                     **({"offices": listed} if listed is not None else {})))
    token_id = int(result.inserted_primary_key[0])
    details = {"name": name, "role": role, **({"case_system": case_system} if case_system else {}),
               **({"offices": listed} if listed is not None else {})}
    record(conn, created_by, "token.create", f"token:{token_id}", details)
    return token, token_id


def _clean_offices(role: str, offices: Iterable[str] | None) -> list[str] | None:
    if offices is None:
        return None
    if role == CASE_SYSTEM_ROLE:
        raise TokenRefused("a case-system token is scoped by its case system: it takes no offices")
    listed = sorted(set(offices))
    if not listed:
        raise TokenRefused("offices, when given, names at least one office; leave it out for every office")
    for office in listed:
        if not OFFICE.match(office):
            raise TokenRefused(f"office {office!r} is not an office code (1-64 letters, digits, '.', '_' or '-')")
    return listed


def authenticate(conn: Connection, token: str) -> Principal | None:
    row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == hash_token(token))).mappings().first()
    if row is None or row["revoked_at"]:
        return None
    return Principal(row["id"], row["name"], row["role"], row["case_system"], scope=Scope.of(row["offices"]))


def list_tokens(conn: Connection) -> list[dict]:
    rows = conn.execute(select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role, api_tokens.c.case_system,
                               api_tokens.c.offices, api_tokens.c.created_at,
                               api_tokens.c.created_by, api_tokens.c.revoked_at).order_by(api_tokens.c.id))
    return [dict(row) for row in rows.mappings()]


def revoke_token(conn: Connection, token_id: int, actor: str) -> bool:
    result = conn.execute(api_tokens.update().where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now_iso()))
    if result.rowcount:
        record(conn, actor, "token.revoke", f"token:{token_id}", {})
    return bool(result.rowcount)
