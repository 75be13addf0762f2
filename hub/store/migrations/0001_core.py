"""0001: the core tables (events, payments, voids, agents, orders, catalogue, tokens, audit).

Declared on this module's own `MetaData`: hub/store/tables.py describes the tables as
they are now and may move on; this is what 0001 creates, for ever.  It holds
agents.gap_since and orders.positions, which the first release's 0001 lacked: 0004
and 0005 add them to databases of that release and find them on these.
"""

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Connection, Index, Integer, MetaData, String,
                        Table, Text, UniqueConstraint)

_metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# BIGSERIAL on PostgreSQL; INTEGER PRIMARY KEY (the rowid) on SQLite.
_ID = BigInteger().with_variant(Integer, "sqlite")

_events = Table(
    "events", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("time", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("ack", Text, nullable=False),
    UniqueConstraint("agent_id", "message_id", name="uq_events_agent_message"),
)
Index("ix_events_agent_seq", _events.c.agent_id, _events.c.seq)

_payments = Table(
    "payments", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("receipt_id", String(64), nullable=False),
    Column("office", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tender", String(16), nullable=False),
    Column("reference_format", String(16), nullable=False),
    Column("reference_value", String(200)),
    Column("order_ref", String(64)),
    Column("case_ref", String(200)),
    Column("payer_name", String(200)),
    Column("payer_id", String(64)),
    Column("operator", String(64)),
    Column("captured_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("voided_at", String(40)),
    Column("void_reason", String(200)),
    Column("link_status", String(16), nullable=False),
    Column("link_method", String(40)),
    Column("linked_order_id", String(64)),
    Column("linked_case_ref", String(200)),
    Column("link_note", String(400)),
    Column("body", JSON, nullable=False),
    UniqueConstraint("agent_id", "payment_id", name="uq_payments_agent_payment"),
)
Index("ix_payments_captured", _payments.c.captured_at)
Index("ix_payments_order", _payments.c.linked_order_id)
Index("ix_payments_case", _payments.c.linked_case_ref)
Index("ix_payments_reference", _payments.c.reference_value)
Index("ix_payments_link_status", _payments.c.link_status)

_voids = Table(
    "voids", _metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("payment_id", String(64), primary_key=True),
    Column("message_id", String(64), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("voided_at", String(40), nullable=False),
)

_agents = Table(
    "agents", _metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("online", Boolean, nullable=False),
    Column("incarnation", BigInteger),
    Column("will_incarnation", BigInteger),
    Column("version", String(64)),
    Column("mode", String(64)),
    Column("outbox_depth", Integer),
    Column("oldest_age_s", Integer),
    Column("state_at", String(40)),
    Column("last_seen", String(40)),
    Column("contiguous_seq", BigInteger, nullable=False),
    Column("max_seq", BigInteger, nullable=False),
    Column("replay_from", BigInteger),
    Column("replay_at", String(40)),
    Column("gap_since", String(40)),
)

_orders = Table(
    "orders", _metadata,
    Column("order_id", String(32), primary_key=True),
    Column("amount_kind", String(8), nullable=False),
    Column("amount_minor", BigInteger),
    Column("currency", String(3), nullable=False),
    Column("reference_format", String(16), nullable=False),
    Column("reference", String(64), nullable=False, unique=True),
    Column("iuv", String(32)),
    Column("case_ref", String(200)),
    Column("payer_name", String(200)),
    Column("payer_id", String(64)),
    Column("description", String(400)),
    Column("due_date", String(10)),
    Column("qr_payload", Text),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("positions", String(1000)),
)
Index("ix_orders_case", _orders.c.case_ref)
Index("ix_orders_iuv", _orders.c.iuv)

_catalogue_versions = Table(
    "catalogue_versions", _metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("document", JSON, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("published_at", String(40)),
)

_api_tokens = Table(
    "api_tokens", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("revoked_at", String(40)),
)

_audit_log = Table(
    "audit_log", _metadata,
    Column("seq", _ID, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
