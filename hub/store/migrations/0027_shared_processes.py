"""0027: what several hub processes on one database need (issue 16).

- ix_login_attempts_at (at), ix_user_sessions_expires (expires_at): the retention job
  (hub/users/retention.py) deletes by age every hour, without reading the tables.
- notice_send_requests.stopped: why a send request's last run stopped (the mail server
  could not be used), kept in the database so every API process shows it, not only the
  one whose thread ran it.

Literal DDL, as released; idempotent.
"""

from sqlalchemy import Connection, inspect

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_login_attempts_at ON login_attempts (at)",
    "CREATE INDEX IF NOT EXISTS ix_user_sessions_expires ON user_sessions (expires_at)",
)


def upgrade(conn: Connection) -> None:
    for statement in _INDEXES:
        conn.exec_driver_sql(statement)
    present = {column["name"] for column in inspect(conn).get_columns("notice_send_requests")}
    if "stopped" not in present:
        conn.exec_driver_sql("ALTER TABLE notice_send_requests ADD COLUMN stopped VARCHAR(400)")
