"""0007: api_tokens.case_system and case_systems.internal.

- api_tokens.case_system: the one registered case system a case-system token answers
  for (its cases, payments and orders only); NULL for every other role.
- case_systems.internal: an admin's mark that the case system may be called on a
  loopback, link-local or private address (a simulator on 127.0.0.1, a system on the
  office LAN); every other case system is refused such addresses.

Literal DDL, as released.  Idempotent: a database whose tables already hold the
columns is left as it is.
"""

from sqlalchemy import Connection, inspect


def _columns(conn: Connection, table: str) -> set[str]:
    return {column["name"] for column in inspect(conn).get_columns(table)}


def upgrade(conn: Connection) -> None:
    if "case_system" not in _columns(conn, "api_tokens"):
        conn.exec_driver_sql("ALTER TABLE api_tokens ADD COLUMN case_system VARCHAR(64)")
    if "internal" not in _columns(conn, "case_systems"):
        false = "false" if conn.dialect.name == "postgresql" else "0"
        conn.exec_driver_sql(f"ALTER TABLE case_systems ADD COLUMN internal BOOLEAN NOT NULL DEFAULT {false}")
