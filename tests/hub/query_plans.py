"""The plan a database makes for a query, to test that an index answers it."""

from __future__ import annotations

from sqlalchemy import Connection


def plan_of(conn: Connection, query) -> str:
    """The query plan as text.  PostgreSQL is told to avoid sequential scans, since on a test's
    few rows a scan is cheapest: the plan then shows whether an index *can* answer the query."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    with conn.begin_nested() if conn.in_transaction() else conn.begin():
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
