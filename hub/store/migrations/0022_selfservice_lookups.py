"""0022: selfservice_lookups, the citizens' self-service lookups counted per address (throttling).

Frozen as released, on this module's own `MetaData` (hub/store/tables_selfservice.py
describes the table as it is now).
"""

from sqlalchemy import BigInteger, Boolean, Column, Connection, Index, Integer, MetaData, String, Table

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

_lookups = Table(
    "selfservice_lookups", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("address", String(64), nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_selfservice_lookups_address", _lookups.c.address, _lookups.c.at)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
