"""0010: orders.office, the office an order belongs to, and the indexes of the keyset lists.

Every list of the back office pages by its sort key (hub/store/paging.py): each order a
list can be sorted in gets an index ending in the unique tie-breaker, with the office in
front where staff see one office's rows.  ix_payments_captured becomes (captured_at, id).
Orders made before this have no office (NULL): only staff of every office see them.

Literal DDL, as released; idempotent, since a database may already hold the column.
"""

from sqlalchemy import Connection, inspect

_INDEXES = {
    "payments": {
        "ix_payments_captured": ("captured_at", "id"),
        "ix_payments_office_captured": ("office", "captured_at", "id"),
        "ix_payments_amount": ("amount_minor", "id"),
        "ix_payments_payer": ("payer_id",),
    },
    "orders": {
        "ix_orders_payer": ("payer_id",),
        "ix_orders_created": ("created_at", "order_id"),
        "ix_orders_due": ("due_date", "order_id"),
        "ix_orders_office_created": ("office", "created_at", "order_id"),
        "ix_orders_office_due": ("office", "due_date", "order_id"),
    },
}


def upgrade(conn: Connection) -> None:
    inspector = inspect(conn)
    if "office" not in {column["name"] for column in inspector.get_columns("orders")}:
        conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN office VARCHAR(64)")
    for table, indexes in _INDEXES.items():
        existing = {index["name"]: tuple(index["column_names"]) for index in inspector.get_indexes(table)}
        for name, columns in indexes.items():
            if existing.get(name) == columns:
                continue
            if name in existing:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")
