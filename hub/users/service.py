"""Hub users: create, list, enable and disable, passwords, language; the only SQL on `users`.

Every change is written to the audit log in the caller's transaction under the name of
whoever made it (`user:<username>` in the console, `cli:<os user>` from a command), so
a change and its audit row commit together.  Disabling a user or resetting a password
ends that user's sessions at once.
"""

from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.store.tables_users import user_sessions, users
from hub.store.timeutil import now_iso
from hub.users.model import LANGUAGES, User
from hub.users.passwords import hash_password, password_problem, verify_password
from hub.users.roles import OFFICE_BOUND_ROLES, ROLES

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
OFFICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class UserError(ValueError):
    """A request about a user cannot be done.

    `field` names the form field at fault (or ""), `key` the catalogue key of the reason
    (hub/web/locales, under "error."), and the message says it in English.
    """

    def __init__(self, field: str, key: str, message: str, **values: object):
        super().__init__(message)
        self.field, self.key, self.values = field, key, values


class UserExists(UserError):
    pass


class UnknownUser(UserError):
    pass


def _clean_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not USERNAME.match(name):
        raise UserError("username", "username_invalid",
                        f"username {username!r} is not valid; use 2-64 lower-case letters, digits, '.', '_' or '-'")
    return name


def _clean_offices(role: str, offices: Iterable[str] | None) -> list[str] | None:
    listed = sorted(set(offices or ()))
    for office in listed:
        if not OFFICE.match(office):
            raise UserError("offices", "office_invalid", f"office {office!r} is not an office code (1-64 letters, "
                            "digits, '.', '_' or '-')", office=office)
    if not listed:
        if role in OFFICE_BOUND_ROLES:
            raise UserError("offices", "office_required",
                            f"a user with role {role} works for named offices: give at least one office")
        return None
    return listed


def _check_password(password: str, username: str, field: str = "password") -> None:
    problem = password_problem(password, username)
    if problem:
        raise UserError(field, problem[0], problem[1])


def _row(conn: Connection, username: str):
    return conn.execute(select(users).where(users.c.username == username.strip().lower())).mappings().first()


def get(conn: Connection, username: str) -> User | None:
    row = _row(conn, username)
    return User.from_row(row) if row else None


def by_id(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return User.from_row(row) if row else None


def _require(conn: Connection, username: str):
    row = _row(conn, username)
    if row is None:
        raise UnknownUser("username", "user_unknown", f"there is no user {username!r} (see `counterpay hub user list`)")
    return row


def require_row(conn: Connection, username: str):
    """The user's row (for hub.users.desk_secret and the roster); UnknownUser if there is none."""
    return _require(conn, username)


def create(conn: Connection, username: str, password: str, role: str, offices: Iterable[str] | None, actor: str,
           *, language: str = "en") -> User:
    name = _clean_username(username)
    if role not in ROLES:
        raise UserError("role", "role_unknown", f"role {role!r} is unknown; expected one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise UserError("language", "language_unknown",
                        f"language {language!r} is not offered; expected one of {', '.join(LANGUAGES)}")
    listed = _clean_offices(role, offices)
    _check_password(password, name)
    if _row(conn, name) is not None:
        raise UserExists("username", "user_exists", f"user {name!r} exists already")
    now = now_iso()
    result = conn.execute(users.insert().values(username=name, password_hash=hash_password(password), role=role,
                                                offices=listed, language=language, created_at=now,
                                                created_by=actor, updated_at=now))
    record(conn, actor, "user.create", f"user:{name}", {"role": role, "offices": listed, "language": language})
    return by_id(conn, int(result.inserted_primary_key[0]))


def list_all(conn: Connection) -> list[User]:
    return [User.from_row(row) for row in conn.execute(select(users).order_by(users.c.username)).mappings()]


def revoke_sessions(conn: Connection, user_id: int) -> int:
    """End every open session of a user; returns how many were open."""
    result = conn.execute(user_sessions.update()
                          .where(user_sessions.c.user_id == user_id, user_sessions.c.revoked_at.is_(None))
                          .values(revoked_at=now_iso()))
    return result.rowcount


def set_disabled(conn: Connection, username: str, disabled: bool, actor: str) -> bool:
    """Disable (ending its sessions) or enable a user; False when it already was."""
    row = _require(conn, username)
    if (row["disabled_at"] is not None) == disabled:
        return False
    now = now_iso()
    conn.execute(users.update().where(users.c.id == row["id"])
                 .values(disabled_at=now if disabled else None, updated_at=now))
    ended = revoke_sessions(conn, row["id"]) if disabled else 0
    record(conn, actor, "user.disable" if disabled else "user.enable", f"user:{row['username']}",
           {"sessions_ended": ended} if disabled else {})
    return True


def reset_password(conn: Connection, username: str, password: str, actor: str) -> None:
    """Set a new password for a user (an admin's reset); ends that user's sessions."""
    row = _require(conn, username)
    _check_password(password, row["username"])
    conn.execute(users.update().where(users.c.id == row["id"])
                 .values(password_hash=hash_password(password), updated_at=now_iso()))
    ended = revoke_sessions(conn, row["id"])
    record(conn, actor, "user.reset_password", f"user:{row['username']}", {"sessions_ended": ended})


def change_password(conn: Connection, user: User, old: str, new: str, new_again: str,
                    *, keep_session: str | None = None) -> None:
    """The user's own change: the old password, the new one twice; other sessions end.

    `keep_session` is the id hash of the session the change was made from.
    """
    row = _require(conn, user.username)
    if not verify_password(row["password_hash"], old):
        raise UserError("old_password", "password_wrong", "the current password is not right")
    _check_password(new, row["username"], "new_password")
    if new != new_again:
        raise UserError("new_password_again", "password_mismatch", "the two new passwords differ")
    now = now_iso()
    conn.execute(users.update().where(users.c.id == row["id"]).values(password_hash=hash_password(new),
                                                                       updated_at=now))
    query = user_sessions.update().where(user_sessions.c.user_id == row["id"], user_sessions.c.revoked_at.is_(None))
    if keep_session:
        query = query.where(user_sessions.c.id_hash != keep_session)
    conn.execute(query.values(revoked_at=now))
    record(conn, user.actor, "user.change_password", f"user:{row['username']}", {})


def set_language(conn: Connection, user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise UserError("language", "language_unknown",
                        f"language {language!r} is not offered; expected one of {', '.join(LANGUAGES)}")
    if language == user.language:
        return
    conn.execute(users.update().where(users.c.id == user.id).values(language=language, updated_at=now_iso()))
    record(conn, user.actor, "user.language", f"user:{user.username}", {"language": language})


def password_hash_of(conn: Connection, username: str) -> str | None:
    """For the login check only (hub.users.login)."""
    row = _row(conn, username)
    return row["password_hash"] if row else None


def store_rehash(conn: Connection, user_id: int, password: str) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(password_hash=hash_password(password)))
