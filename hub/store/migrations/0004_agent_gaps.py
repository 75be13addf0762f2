"""0004: agents.gap_since, when the agent's current sequence gap was first seen.

A replay is asked for only once a gap has lasted a moment: with several hub workers
sharing the stream, an agent's events are briefly out of order between workers.
"""

from sqlalchemy import Connection, inspect


def upgrade(conn: Connection) -> None:
    if "gap_since" in {column["name"] for column in inspect(conn).get_columns("agents")}:
        return
    # ADD COLUMN with a nullable text column: the same statement on SQLite and PostgreSQL.
    conn.exec_driver_sql("ALTER TABLE agents ADD COLUMN gap_since VARCHAR(40)")
