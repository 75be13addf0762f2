"""0006: acks_sent, the signed acks messages, one per agent per committed batch.

Until now every event carried its own signed ack; acks are now sent as one message
per agent per batch (one signature and one MQTT message instead of one per event),
and events.ack holds the id of the message that acked it.

Frozen as released, on this module's own `MetaData` (hub/store/tables.py describes
the table as it is now).
"""

from sqlalchemy import Column, Connection, MetaData, String, Table, Text

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

Table(
    "acks_sent", _metadata,
    Column("id", String(64), primary_key=True),
    Column("agent_id", String(64), nullable=False),
    Column("sent_at", String(40), nullable=False),
    Column("envelope", Text, nullable=False),
)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
