"""0027: indexes for the retention job (hub/users/retention.py), which deletes by age every hour.

- ix_login_attempts_at (at): login attempts older than the retention, without reading the table.
- ix_user_sessions_expires (expires_at): sessions whose lifetime ended long ago.

Literal DDL, as released; idempotent (IF NOT EXISTS).
"""

from sqlalchemy import Connection

_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_login_attempts_at ON login_attempts (at)",
    "CREATE INDEX IF NOT EXISTS ix_user_sessions_expires ON user_sessions (expires_at)",
)


def upgrade(conn: Connection) -> None:
    for statement in _INDEXES:
        conn.exec_driver_sql(statement)
