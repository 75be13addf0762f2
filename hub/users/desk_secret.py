"""The desk secret: the PIN (or desk password) a clerk, cashier, technician or supervisor
types at a counter, and the verifier the desks check it against offline.

The verifier is an Argon2id hash of the secret with a salt of its own (argon2-cffi's
defaults: time cost 3, 64 MiB, 4 lanes; 0.17 CPU seconds a check, measured), stored in
`users.desk_verifier` beside, and never derived from, the console password's hash.
It is published to the desks of the user's offices (hub/users/roster_feed.py), so
anyone holding a roster can guess offline: the million 6-digit PINs cost about two CPU
days, which is why a PIN has at least `MIN_PIN_DIGITS` digits, a desk password follows
the console's rules, and a lost desk is revoked at the hub (README: "Operators at the desk").

A PIN is 6-12 digits; anything else is a desk password (at least 12 characters, not
containing the username).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import Connection

from hub.audit.log import record
from hub.store.tables_users import users
from hub.store.timeutil import now_iso
from hub.users.passwords import password_problem
from hub.users.roles import DESK_LOGIN_ROLES
from hub.users.service import UserError, require_row

MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 12

_hasher = PasswordHasher()


def secret_problem(secret: str, username: str) -> tuple[str, str] | None:
    """Why `secret` cannot be a desk secret: (a catalogue key, an English sentence), or None."""
    if secret.isascii() and secret.isdigit():
        if not MIN_PIN_DIGITS <= len(secret) <= MAX_PIN_DIGITS:
            return ("desk_pin_length", f"a PIN has {MIN_PIN_DIGITS}-{MAX_PIN_DIGITS} digits "
                    "(or give a desk password of at least 12 characters)")
        if len(set(secret)) == 1 or secret in "01234567890123" or secret in "98765432109876":
            return "desk_pin_guessable", "the PIN must not be one digit repeated or a run like 123456"
        return None
    return password_problem(secret, username)


def make_verifier(secret: str) -> str:
    return _hasher.hash(secret)


def set_secret(conn: Connection, username: str, secret: str, actor: str) -> None:
    """Set the desk secret of a user with a desk role; the desks hear it with the next roster."""
    row = require_row(conn, username)
    if row["role"] not in DESK_LOGIN_ROLES:
        raise UserError("role", "desk_role_required",
                        f"user {row['username']} has role {row['role']}; only roles "
                        f"{', '.join(DESK_LOGIN_ROLES)} log in at a desk")
    problem = secret_problem(secret, row["username"])
    if problem:
        raise UserError("pin", problem[0], problem[1])
    now = now_iso()
    conn.execute(users.update().where(users.c.id == row["id"])
                 .values(desk_verifier=make_verifier(secret), desk_secret_set_at=now, updated_at=now))
    record(conn, actor, "user.set_desk_secret", f"user:{row['username']}", {})


def clear_secret(conn: Connection, username: str, actor: str) -> bool:
    """Remove a user's desk secret (the desks refuse them with the next roster); False if none was set."""
    row = require_row(conn, username)
    if row["desk_verifier"] is None:
        return False
    now = now_iso()
    conn.execute(users.update().where(users.c.id == row["id"])
                 .values(desk_verifier=None, desk_secret_set_at=None, updated_at=now))
    record(conn, actor, "user.clear_desk_secret", f"user:{row['username']}", {})
    return True
