"""0014: indexes for the back office's searches over a big hub (bench/backoffice.py measures them).

- ix_payments_payer_name, ix_orders_payer_name: part of a payer's name is searched with
  ILIKE '%name%' (PostgreSQL) or LIKE '%name%' (SQLite), which no B-tree serves.  On
  PostgreSQL they are trigram GIN indexes (extension pg_trgm, trusted since PostgreSQL 13,
  so the database's owner may create it; it goes in schema `public` and the operator class
  is named with its schema, so a hub whose search_path is another schema finds it too).
  On SQLite they are plain indexes: a count of the matching payments then reads the small
  index instead of every row of the table.
- ix_payments_unlinked_office: a partial index of the unlinked, unvoided payments, so the
  dashboard counts the unlinked queue from the index alone.
- ix_payments_status_captured (link_status, captured_at, id) replaces ix_payments_link_status:
  a list by status pages in its order instead of sorting every unlinked payment.
- ix_payments_office_amount: the amount order within an office, as the other keyset lists.

Literal DDL, as released; idempotent (IF NOT EXISTS / IF EXISTS).
"""

from sqlalchemy import Connection

_PAYER_NAME = {"ix_payments_payer_name": "payments", "ix_orders_payer_name": "orders"}
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_payments_unlinked_office ON payments (link_status, voided_at, office) "
    "WHERE link_status = 'unlinked' AND voided_at IS NULL",
    "CREATE INDEX IF NOT EXISTS ix_payments_status_captured ON payments (link_status, captured_at, id)",
    "DROP INDEX IF EXISTS ix_payments_link_status",
    "CREATE INDEX IF NOT EXISTS ix_payments_office_amount ON payments (office, amount_minor, id)",
)


def _trigram_schema(conn: Connection) -> str:
    """The schema pg_trgm is in, installing it in `public` when the database has it nowhere."""
    found = conn.exec_driver_sql("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                 "WHERE e.extname = 'pg_trgm'").scalar()
    if found:
        return found
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except Exception as error:  # PostgreSQL's reason, with what to do about it
        raise RuntimeError(
            "migration 0014 needs the PostgreSQL extension pg_trgm (for the payer-name search) and could not "
            "create it: install PostgreSQL's contrib modules (on Debian they come with the postgresql package) "
            "and have the database's owner or a superuser run `CREATE EXTENSION pg_trgm SCHEMA public` in this "
            f"database; PostgreSQL said: {error}") from error
    return "public"


def upgrade(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        schema = _trigram_schema(conn)
        for name, table in _PAYER_NAME.items():
            conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                                 f"USING gin (payer_name {schema}.gin_trgm_ops)")
    else:
        for name, table in _PAYER_NAME.items():
            conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} (payer_name)")
    for statement in _INDEXES:
        conn.exec_driver_sql(statement)
