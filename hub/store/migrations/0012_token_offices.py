"""0012: api_tokens.offices: the offices an API token may see and change.

A JSON list of office codes; NULL for a token of every office (each token made before
this step, and every case-system token, which is scoped by its case system instead).
Literal DDL, as released; idempotent.
"""

from sqlalchemy import Connection, inspect


def upgrade(conn: Connection) -> None:
    if "offices" not in {column["name"] for column in inspect(conn).get_columns("api_tokens")}:
        conn.exec_driver_sql("ALTER TABLE api_tokens ADD COLUMN offices JSON")
