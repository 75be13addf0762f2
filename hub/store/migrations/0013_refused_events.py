"""0013: refused_events, the events the hub answered with a `rejected` ack.

Kept so that a re-send is refused again the same way and the refused seq does not
look like a gap in the agent's sequence.

Frozen as released, on this module's own `MetaData` (hub/store/tables_ingest.py
describes the table as it is now).
"""

from sqlalchemy import BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

_table = Table(
    "refused_events", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", String(400), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("envelope", Text),
    Column("ack", Text, nullable=False),
    UniqueConstraint("agent_id", "message_id", name="uq_refused_events_agent_message"),
)
Index("ix_refused_events_agent_seq", _table.c.agent_id, _table.c.seq)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
