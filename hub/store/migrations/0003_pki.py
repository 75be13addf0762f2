"""0003: the PKI tables (enrollment tokens, agent certificates, key directory)."""

from sqlalchemy import Connection

from hub.store.tables_pki import PKI_TABLES


def upgrade(conn: Connection) -> None:
    for table in PKI_TABLES:
        table.create(conn, checkfirst=True)
