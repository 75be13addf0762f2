"""0019: eod_reports and eod_card_payments, terminal end of day compared at the hub.

Frozen as released, on this module's own `MetaData` (hub/store/tables_eod.py describes
the tables as they are now).
"""

from sqlalchemy import JSON, BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, UniqueConstraint

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

_reports = Table(
    "eod_reports", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("batch_no", BigInteger),
    Column("terminal_id", String(64)),
    Column("office", String(64)),
    Column("currency", String(3), nullable=False),
    Column("opened_at", String(40)),
    Column("closed_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("reported_count", BigInteger),
    Column("reported_total_minor", BigInteger),
    Column("reported_source", String(16), nullable=False),
    Column("hub_count", BigInteger, nullable=False),
    Column("hub_total_minor", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("differences", JSON, nullable=False),
    Column("attention", String(48), nullable=False),
    Column("evaluated_at", String(40), nullable=False),
    Column("body", JSON, nullable=False),
    UniqueConstraint("agent_id", "batch_id", name="uq_eod_reports_agent_batch"),
)
Index("ix_eod_reports_attention", _reports.c.attention, _reports.c.id)
Index("ix_eod_reports_closed", _reports.c.closed_at, _reports.c.id)
Index("ix_eod_reports_agent_batch_no", _reports.c.agent_id, _reports.c.batch_no)
Index("ix_eod_reports_agent_closed", _reports.c.agent_id, _reports.c.closed_at)
Index("ix_eod_reports_status", _reports.c.status)

_card_payments = Table(
    "eod_card_payments", _metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("payment_id", String(64), primary_key=True),
    Column("batch_no", BigInteger),
    Column("terminal_id", String(64)),
    Column("currency", String(3), nullable=False),
    Column("captured_at", String(40), nullable=False),
)
Index("ix_eod_card_payments_batch", _card_payments.c.agent_id, _card_payments.c.batch_no, _card_payments.c.captured_at)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
