"""0008: payment_conflicts, second versions of a payment that differ from the stored one.

A payment id is the agent's dedup key; a new message under a stored payment id with
another body (an amount of 150000 where 1500 was stored) is kept here, apart, and
never applied.

Frozen as released, on this module's own `MetaData` (hub/store/tables_ingest.py
describes the table as it is now).
"""

from sqlalchemy import JSON, BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, UniqueConstraint

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

_table = Table(
    "payment_conflicts", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("stored_message_id", String(64), nullable=False),
    Column("differences", String(400), nullable=False),
    Column("body", JSON, nullable=False),
    Column("received_at", String(40), nullable=False),
    UniqueConstraint("agent_id", "message_id", name="uq_payment_conflicts_agent_message"),
)
Index("ix_payment_conflicts_received", _table.c.received_at)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
