"""Password hashing (Argon2id) and the rules a new password must follow.

argon2-cffi's `PasswordHasher` with its defaults (RFC 9106's second recommended
profile: time cost 3, 64 MiB, 4 lanes) costs about 50 ms per check on an office server,
which is slow for a guesser and unnoticed at a login.  A hash made with older
parameters is re-hashed at the next successful login (`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256      # Argon2 takes any length; the cap keeps a login from hashing megabytes

_hasher = PasswordHasher()
# Checked against when the username is unknown, so the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("counterpay: no such user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; an unknown user (None) costs the same time and is False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, username: str) -> tuple[str, str] | None:
    """Why `password` is not acceptable for `username`: (a catalogue key, an English sentence), or None."""
    if len(password) < MIN_LENGTH:
        return "password_too_short", f"the password must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return "password_too_long", f"the password must be at most {MAX_LENGTH} characters long"
    if username and username.casefold() in password.casefold():
        return "password_has_username", "the password must not contain the username"
    return None
