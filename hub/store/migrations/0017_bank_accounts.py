"""0017: bank_accounts, each office's accounts; orders.account_iban, the account an order is paid into.

Frozen as released, on this module's own `MetaData` (hub/store/tables_accounts.py
describes the table as it is now); the orders column is literal DDL.  Idempotent.
"""

from sqlalchemy import BigInteger, Column, Connection, Index, Integer, MetaData, String, Table, inspect

_metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s", "uq": "uq_%(table_name)s_%(column_0_name)s"})

_table = Table(
    "bank_accounts", _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("office", String(64), nullable=False),
    Column("iban", String(34), nullable=False, unique=True),
    Column("holder", String(200)),
    Column("bank", String(200)),
    Column("purpose", String(400)),
    Column("active_from", String(10)),
    Column("active_to", String(10)),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
)
Index("ix_bank_accounts_office", _table.c.office, _table.c.id)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
    present = {column["name"] for column in inspect(conn).get_columns("orders")}
    if "account_iban" not in present:
        conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN account_iban VARCHAR(34)")
