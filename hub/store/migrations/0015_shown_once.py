"""0015: shown_once, the console's secrets waiting for their one read after a redirect.

Moved out of the serving process's memory so that several hub processes behind one
proxy can show a secret whichever of them answers the redirect.

Frozen as released, on this module's own `MetaData` (hub/store/tables_users.py
describes the table as it is now).
"""

from sqlalchemy import Column, Connection, Index, MetaData, String, Table, Text

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

_table = Table(
    "shown_once", _metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("sealed", Text, nullable=False),
    Column("expires_at", String(40), nullable=False),
)
Index("ix_shown_once_expires", _table.c.expires_at)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
