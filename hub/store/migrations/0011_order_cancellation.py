"""0011: orders.cancelled_at, cancelled_by and cancel_reason: an unpaid order can be cancelled.

A cancelled order stays (its reference is never reused); payments that name it are left
unlinked with the reason, for a person to look at.  Literal DDL, as released; idempotent.
"""

from sqlalchemy import Connection, inspect

_COLUMNS = {"cancelled_at": "VARCHAR(40)", "cancelled_by": "VARCHAR(100)", "cancel_reason": "VARCHAR(400)"}


def upgrade(conn: Connection) -> None:
    present = {column["name"] for column in inspect(conn).get_columns("orders")}
    for name, type_ in _COLUMNS.items():
        if name not in present:
            conn.exec_driver_sql(f"ALTER TABLE orders ADD COLUMN {name} {type_}")
