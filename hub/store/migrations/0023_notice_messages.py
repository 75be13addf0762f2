"""0023: notice_send_requests and notice_messages, notices mailed to payers and each message's state.

Frozen as released, on this module's own `MetaData` (hub/store/tables_mail.py describes
the tables as they are now).
"""

from sqlalchemy import JSON, BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, UniqueConstraint

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

_requests = Table(
    "notice_send_requests", _metadata,
    Column("request_id", String(64), primary_key=True),
    Column("selection", JSON, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_run_at", String(40), nullable=False),
    Column("last_run_by", String(100), nullable=False),
)
Index("ix_notice_send_requests_created", _requests.c.created_at, _requests.c.request_id)

_messages = Table(
    "notice_messages", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("order_id", String(32), nullable=False),
    Column("recipient", String(254)),
    Column("language", String(5), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("message_id", String(250), nullable=False),
    Column("reply_code", Integer),
    Column("reply_text", String(500)),
    Column("claimed_by", String(120)),
    Column("queued_at", String(40), nullable=False),
    Column("claimed_at", String(40)),
    Column("next_attempt_at", String(40)),
    Column("finished_at", String(40)),
    UniqueConstraint("request_id", "order_id", name="uq_notice_messages_request_order"),
)
Index("ix_notice_messages_request_state", _messages.c.request_id, _messages.c.state, _messages.c.id)
Index("ix_notice_messages_order", _messages.c.order_id, _messages.c.id)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
