"""0026: users.desk_verifier and desk_secret_set_at: the PIN a desk checks a login against.

An Argon2id hash of the user's desk PIN or desk password, salted on its own, published
to the office's desks (hub/users/roster_feed.py); never the console password's hash.
Literal DDL, as released; idempotent.
"""

from sqlalchemy import Connection, inspect

_COLUMNS = (("desk_verifier", "VARCHAR(300)"), ("desk_secret_set_at", "VARCHAR(40)"))


def upgrade(conn: Connection) -> None:
    present = {column["name"] for column in inspect(conn).get_columns("users")}
    for name, kind in _COLUMNS:
        if name not in present:
            conn.exec_driver_sql(f"ALTER TABLE users ADD COLUMN {name} {kind}")
