"""0001: the core tables (events, payments, voids, agents, orders, catalogue, tokens, audit)."""

from sqlalchemy import Connection

from hub.store.tables import CORE_TABLES


def upgrade(conn: Connection) -> None:
    for table in CORE_TABLES:
        table.create(conn, checkfirst=True)
