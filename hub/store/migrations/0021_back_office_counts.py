"""0021: indexes for the back office's counts over a big hub (bench/backoffice.py measures them).

- ix_payments_status_tender_captured (link_status, tender, captured_at, id): the unlinked
  cash (or card) list pages in its order, and its total is counted from the index alone;
  with ix_payments_status_captured each unlinked payment's row was read to learn its tender.
- ix_deliveries_status_agent (status, agent_id): the dashboard counts the waiting and dead
  deliveries of one office's agents from the index alone, instead of reading each waiting
  delivery's row for its agent.

Literal DDL, as released; idempotent (IF NOT EXISTS).
"""

from sqlalchemy import Connection

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_payments_status_tender_captured ON payments (link_status, tender, captured_at, id)",
    "CREATE INDEX IF NOT EXISTS ix_deliveries_status_agent ON deliveries (status, agent_id)",
)


def upgrade(conn: Connection) -> None:
    for statement in _INDEXES:
        conn.exec_driver_sql(statement)
