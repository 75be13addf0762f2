"""0006: acks_sent, the signed acks messages, one per agent per committed batch.

Until now every event carried its own signed ack; acks are now sent as one message
per agent per batch (one signature and one MQTT message instead of one per event),
and events.ack holds the id of the message that acked it.
"""

from sqlalchemy import Connection

from hub.store.tables import acks_sent


def upgrade(conn: Connection) -> None:
    acks_sent.create(conn, checkfirst=True)
