"""API tokens: random, shown once, stored only as a SHA-256 hash, each with one role.

Tokens are 32 random bytes (url-safe base64), so a fast hash is enough: there is
nothing to brute-force that a salt or a slow hash would protect.

Roles: admin (everything, creates tokens), operator (orders, linking, catalogue),
auditor (read-only, audit log), case-system (its cases' payments, verification).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.store.tables import api_tokens
from hub.store.timeutil import now_iso
from hub.users.scope import Scope

ROLES = ("admin", "operator", "auditor", "case-system", "agent")
"""agent: issued at enrollment, one per agent; it may only look cases up for its clerk."""
TOKEN_PREFIX = "cph_"


@dataclass(frozen=True)
class Principal:
    token_id: int
    name: str
    role: str
    # The offices the caller may see and change (hub.users.scope); a token sees every office.
    scope: Scope = field(default_factory=Scope.everything)

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}:{self.name}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(conn: Connection, name: str, role: str, created_by: str) -> tuple[str, int]:
    """Create a token; returns (the token, shown only now, and its id)."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is unknown; expected one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    result = conn.execute(api_tokens.insert().values(name=name, role=role, token_hash=hash_token(token),
                                                     created_at=now_iso(), created_by=created_by))
    token_id = int(result.inserted_primary_key[0])
    record(conn, created_by, "token.create", f"token:{token_id}", {"name": name, "role": role})
    return token, token_id


def authenticate(conn: Connection, token: str) -> Principal | None:
    row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == hash_token(token))).mappings().first()
    if row is None or row["revoked_at"]:
        return None
    return Principal(row["id"], row["name"], row["role"])


def list_tokens(conn: Connection) -> list[dict]:
    rows = conn.execute(select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role, api_tokens.c.created_at,
                               api_tokens.c.created_by, api_tokens.c.revoked_at).order_by(api_tokens.c.id))
    return [dict(row) for row in rows.mappings()]


def revoke_token(conn: Connection, token_id: int, actor: str) -> bool:
    result = conn.execute(api_tokens.update().where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now_iso()))
    if result.rowcount:
        record(conn, actor, "token.revoke", f"token:{token_id}", {})
    return bool(result.rowcount)
