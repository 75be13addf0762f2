"""0029: voids.operator, voids.approved_by, voids.receipt_id: who voided a payment at the
desk, the supervisor whose login approved it, and the void receipt the desk printed.

Absent (NULL) for voids of agents older than the counter's voids.  Literal DDL, as
released; idempotent.
"""

from sqlalchemy import Connection, inspect

_COLUMNS = (("operator", "VARCHAR(64)"), ("approved_by", "VARCHAR(64)"), ("receipt_id", "VARCHAR(64)"))


def upgrade(conn: Connection) -> None:
    present = {column["name"] for column in inspect(conn).get_columns("voids")}
    for name, kind in _COLUMNS:
        if name not in present:
            conn.exec_driver_sql(f"ALTER TABLE voids ADD COLUMN {name} {kind}")
