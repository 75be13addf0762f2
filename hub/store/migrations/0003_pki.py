"""0003: the PKI tables (enrollment tokens, agent certificates, key directory).

Frozen as released, on this module's own `MetaData` (hub/store/tables_pki.py
describes the tables as they are now).
"""

from sqlalchemy import Column, Connection, Index, Integer, MetaData, String, Table, Text

_metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

Table(
    "enrollment_tokens", _metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("office", String(64), nullable=False),
    Column("agent_id", String(64)),
    Column("note", String(200)),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("used_at", String(40)),
    Column("used_by", String(64)),
    Column("revoked_at", String(40)),
    Column("revoked_by", String(200)),
)

Table(
    "agent_certificates", _metadata,
    Column("serial", String(40), primary_key=True),
    Column("agent_id", String(64), nullable=False),
    Column("office", String(64), nullable=False),
    Column("token_id", Integer),
    Column("issued_at", String(40), nullable=False),
    Column("not_after", String(40), nullable=False),
    Column("certificate_pem", Text, nullable=False),
    Column("kid", String(16)),
    Column("revoked_at", String(40)),
    Column("revoked_reason", String(200)),
    Index("ix_agent_certificates_agent", "agent_id"),
)

Table(
    "directory_keys", _metadata,
    Column("kid", String(16), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("uses", String(64), nullable=False),
    Column("added_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("revoked_reason", String(200)),
    Index("ix_directory_keys_owner", "owner"),
)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
