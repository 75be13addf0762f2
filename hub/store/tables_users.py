"""The console's tables: hub users, their server-side sessions, login attempts, secrets shown once.

A session's id is never stored: only its SHA-256, so a copy of the database opens no
session.  login_attempts holds every try, so throttling works across several hub
processes sharing one database.  shown_once holds a secret the console shows once after
a form's redirect, sealed with a key the database never holds (hub/web/shown_once.py),
until that one read deletes it.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from hub.store.metadata import metadata

users = Table(
    "users", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),     # Argon2id, PHC string format
    Column("role", String(20), nullable=False),
    Column("offices", JSON),                                   # list of office codes; NULL: every office
    Column("language", String(8), nullable=False, default="en"),
    Column("disabled_at", String(40)),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("desk_verifier", String(300)),                     # Argon2id of the desk PIN (never the password's hash)
    Column("desk_secret_set_at", String(40)),
)

user_sessions = Table(
    "user_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),          # SHA-256 of the cookie's 32 random bytes
    Column("user_id", BigInteger, nullable=False),
    Column("csrf_token", String(64), nullable=False),         # sent back in every form and htmx request
    Column("created_at", String(40), nullable=False),
    Column("last_seen", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),         # the absolute lifetime's end
    Column("revoked_at", String(40)),
    Column("user_agent", String(300)),
    Column("address", String(64)),
)
Index("ix_user_sessions_user", user_sessions.c.user_id)
Index("ix_user_sessions_expires", user_sessions.c.expires_at)      # the retention job (hub/users/retention.py)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("username", String(64), nullable=False),           # as typed (lower-cased), known or not
    Column("address", String(64), nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_login_attempts_username", login_attempts.c.username, login_attempts.c.at)
Index("ix_login_attempts_address", login_attempts.c.address, login_attempts.c.at)
Index("ix_login_attempts_at", login_attempts.c.at)                 # the retention job

shown_once = Table(
    "shown_once", metadata,
    Column("session_hash", String(64), primary_key=True),     # user_sessions.id_hash: one waiting per session
    Column("sealed", Text, nullable=False),                   # hex of nonce + AES-GCM ciphertext
    Column("expires_at", String(40), nullable=False),
)
Index("ix_shown_once_expires", shown_once.c.expires_at)

USER_TABLES = (users, user_sessions, login_attempts, shown_once)
