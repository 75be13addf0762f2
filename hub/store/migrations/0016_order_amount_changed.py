"""0016: orders.amount_changed_at: when an unpaid order's amount last changed.

A changed amount re-signs the order's QR code, but the notice printed before still
carries the old amount and still verifies; the desks are told (hub/orders/state_feed.py)
so that they refuse it.  Literal DDL, as released; idempotent.
"""

from sqlalchemy import Connection, inspect


def upgrade(conn: Connection) -> None:
    present = {column["name"] for column in inspect(conn).get_columns("orders")}
    if "amount_changed_at" not in present:
        conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN amount_changed_at VARCHAR(40)")
