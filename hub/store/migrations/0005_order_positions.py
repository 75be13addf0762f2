"""0005: orders.positions, the fee catalogue position codes an order is for (comma-separated).

They travel in the signed order QR, so the cashier's agent can show what is paid for.
Idempotent like 0004: databases created after this column was declared already have it.
"""

from sqlalchemy import Connection, inspect


def upgrade(conn: Connection) -> None:
    if "positions" in {column["name"] for column in inspect(conn).get_columns("orders")}:
        return
    conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN positions VARCHAR(1000)")
