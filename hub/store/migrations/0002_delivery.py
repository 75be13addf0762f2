"""0002: the delivery tables (case-system registry, deliveries, delivery attempts).

Frozen as released, on this module's own `MetaData` (hub/store/tables_delivery.py
describes the tables as they are now).
"""

from sqlalchemy import BigInteger, Boolean, Column, Connection, Index, Integer, MetaData, String, Table, Text

_metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# BIGSERIAL on PostgreSQL; INTEGER PRIMARY KEY (the rowid) on SQLite.
_ID = BigInteger().with_variant(Integer, "sqlite")

Table(
    "case_systems", _metadata,
    Column("name", String(64), primary_key=True),
    Column("patterns", Text, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("webhook_url", String(500), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("previous_secret", String(200)),
    Column("lookup_url", String(500)),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(400)),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

_deliveries = Table(
    "deliveries", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("webhook_id", String(64), nullable=False, unique=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("agent_id", String(64), nullable=False),
    Column("type", String(40), nullable=False),
    Column("case_system", String(64)),
    Column("case_key", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("window_started_at", String(40), nullable=False),
    Column("next_attempt_at", String(40), nullable=False),
    Column("last_attempt_at", String(40)),
    Column("last_status", Integer),
    Column("last_error", String(400)),
    Column("delivered_at", String(40)),
    Column("dead_at", String(40)),
    Column("replays", Integer, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", String(40)),
)
Index("ix_deliveries_status_next", _deliveries.c.status, _deliveries.c.next_attempt_at)
Index("ix_deliveries_case_order", _deliveries.c.case_system, _deliveries.c.case_key, _deliveries.c.status,
      _deliveries.c.id)
Index("ix_deliveries_created", _deliveries.c.created_at)

_delivery_attempts = Table(
    "delivery_attempts", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("delivery_id", BigInteger, nullable=False),
    Column("at", String(40), nullable=False),
    Column("http_status", Integer),
    Column("error", String(400)),
    Column("duration_ms", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("next_attempt_at", String(40)),
)
Index("ix_delivery_attempts_delivery", _delivery_attempts.c.delivery_id, _delivery_attempts.c.id)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
