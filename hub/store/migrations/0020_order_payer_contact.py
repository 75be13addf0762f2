"""0020: orders.payer_email, payer_language and payer_address: how a notice reaches its payer.

A notice is mailed to the payer's address, written in the payer's language (the hub's
`[orders] language` when none is given) and posted to the postal address for print and
post.  Literal DDL, as released; idempotent.
"""

from sqlalchemy import Connection, inspect

_COLUMNS = (("payer_email", "VARCHAR(254)"), ("payer_language", "VARCHAR(5)"), ("payer_address", "VARCHAR(400)"))


def upgrade(conn: Connection) -> None:
    present = {column["name"] for column in inspect(conn).get_columns("orders")}
    for name, kind in _COLUMNS:
        if name not in present:
            conn.exec_driver_sql(f"ALTER TABLE orders ADD COLUMN {name} {kind}")
