"""0002: the delivery tables (case-system registry, deliveries, delivery attempts)."""

from sqlalchemy import Connection

from hub.store.tables_delivery import DELIVERY_TABLES


def upgrade(conn: Connection) -> None:
    for table in DELIVERY_TABLES:
        table.create(conn, checkfirst=True)
