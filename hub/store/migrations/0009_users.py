"""0009: the console's users, their sessions and login attempts.

Frozen as released, on this module's own `MetaData` (hub/store/tables_users.py
describes the tables as they are now).
"""

from sqlalchemy import JSON, BigInteger, Boolean, Column, Connection, Index, Integer, MetaData, String, Table

_metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
})

Table(
    "users", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("offices", JSON),
    Column("language", String(8), nullable=False),
    Column("disabled_at", String(40)),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

_sessions = Table(
    "user_sessions", _metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_seen", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("user_agent", String(300)),
    Column("address", String(64)),
)
Index("ix_user_sessions_user", _sessions.c.user_id)

_attempts = Table(
    "login_attempts", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_login_attempts_username", _attempts.c.username, _attempts.c.at)
Index("ix_login_attempts_address", _attempts.c.address, _attempts.c.at)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
