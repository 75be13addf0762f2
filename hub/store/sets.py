"""Set-based SQL for runs that touch 100,000 rows in one transaction (reconciliation, bulk queueing).

    query.where(one_of(conn, orders.c.iuv, iuvs))          # one parameter, any number of values
    update_by_id(conn, flows, ("status", "reason"), [(row_id, status, reason), ...])
    insert_returning(conn, payments, rows, ("id", "agent_id", "payment_id"))
    insert_many(conn, deliveries, rows)

An `IN (?, ?, …)` of 500 values costs SQLAlchemy and psycopg a bind, a cast and a query
split per value, and an executemany of 100,000 UPDATEs costs PostgreSQL 100,000
statements: together most of a reconciliation run.  Here a set of values travels as one
parameter — a PostgreSQL array (`= ANY(…)`, `unnest(…)`) or, on SQLite, a JSON array read
by `json_each` (both searched through the column's index) — so a statement's cost does
not grow with its values, and 10,000 rows are written by one statement.  Arrays are cast
to the column's base type (TEXT, not VARCHAR(n), which would truncate silently), so a
value too long for its column is refused by the INSERT or UPDATE exactly as before.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from sqlalchemy import JSON, Connection, String, Table, Text, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from hub.store.bulk import insert_rows

ROWS_PER_STATEMENT = 10_000
_SQLITE_PARAMETERS = 32_000      # SQLite >= 3.32 takes 32,766 parameters per statement


def one_of(conn: Connection, column, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` as one bound parameter, searched through the column's index."""
    listed = list(values)
    if conn.dialect.name == "postgresql":
        # text[], not varchar(n)[]: a cast to varchar(n) would cut a longer value down to one that matches
        element = Text() if isinstance(column.type, String) else column.type
        return column == func.any(bindparam(None, listed, type_=ARRAY(element)))
    members = select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(listed))))
    return column.in_(members)


def _array_type(conn: Connection, table: Table, name: str) -> str:
    kind = table.c[name].type
    if isinstance(kind, String):
        return "TEXT"
    return kind.compile(dialect=conn.dialect)


def _serialiser(conn: Connection):
    return getattr(conn.dialect, "_json_serializer", None) or json.dumps


def _columns_of(conn: Connection, table: Table, names: Sequence[str], rows: list[Sequence[Any]]) -> list[list[Any]]:
    """The rows as one list per column, JSON columns serialised as the engine would."""
    serialise = _serialiser(conn)
    listed = [list(values) for values in zip(*rows, strict=True)] if rows else [[] for _ in names]
    for index, name in enumerate(names):
        if isinstance(table.c[name].type, JSON):
            listed[index] = [serialise(value) for value in listed[index]]
    return listed


def _unnest(conn: Connection, table: Table, names: Sequence[str]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    # %b: psycopg sends the arrays in binary, where text format escapes every element (JSON bodies: most of the time)
    arrays = ", ".join(f"%b::{_array_type(conn, table, name)}[]" for name in names)
    return f"unnest({arrays}) AS v({', '.join(quote(name) for name in names)})"


def update_by_id(conn: Connection, table: Table, names: Sequence[str], rows: list[Sequence[Any]]) -> None:
    """Set columns `names` of the rows given as (id, *values), by primary key `id`."""
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        assignments = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in names)
        sql = (f"UPDATE {quote(table.name)} SET {assignments} FROM {_unnest(conn, table, ('id', *names))} "
               f"WHERE {quote(table.name)}.id = v.id")
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            conn.exec_driver_sql(sql, tuple(_columns_of(conn, table, ("id", *names),
                                                        rows[start:start + ROWS_PER_STATEMENT])))
        return
    if not rows:
        return
    assignments = ", ".join(f"{quote(name)} = ?" for name in names)
    serialise = _serialiser(conn)
    as_json = [isinstance(table.c[name].type, JSON) for name in names]
    values = [(*(serialise(v) if j else v for v, j in zip(row[1:], as_json, strict=True)), row[0]) for row in rows]
    conn.exec_driver_sql(f"UPDATE {quote(table.name)} SET {assignments} WHERE id = ?", values)


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys): PostgreSQL one statement per 10,000, SQLite one executemany."""
    if conn.dialect.name != "postgresql":
        insert_rows(conn, table, rows)
        return
    _insert_unnest(conn, table, rows, ())


def insert_returning(conn: Connection, table: Table, rows: list[dict[str, Any]],
                     returning: Sequence[str]) -> list[tuple]:
    """Insert `rows` and return `returning` of each row stored (in no promised order)."""
    if conn.dialect.name == "postgresql":
        return _insert_unnest(conn, table, rows, returning)
    if not rows:
        return []
    names = tuple(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    serialise = _serialiser(conn)
    as_json = [isinstance(table.c[name].type, JSON) for name in names]
    per_statement = max(1, _SQLITE_PARAMETERS // len(names))
    found: list[tuple] = []
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES "
    tail = f" RETURNING {', '.join(quote(n) for n in returning)}"
    mark = f"({', '.join('?' * len(names))})"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        params = tuple(serialise(row[n]) if j else row[n] for row in chunk for n, j in zip(names, as_json, strict=True))
        found.extend(tuple(r) for r in conn.exec_driver_sql(head + ", ".join([mark] * len(chunk)) + tail, params))
    return found


def _insert_unnest(conn: Connection, table: Table, rows: list[dict[str, Any]], returning: Sequence[str]) -> list[tuple]:
    if not rows:
        return []
    names = tuple(rows[0])
    for row in rows:
        if row.keys() != rows[0].keys():
            raise ValueError(f"rows for {table.name} differ in their columns: {sorted(rows[0].keys() ^ row.keys())}")
    quote = conn.dialect.identifier_preparer.quote
    listed = ", ".join(quote(n) for n in names)
    sql = f"INSERT INTO {quote(table.name)} ({listed}) SELECT {listed} FROM {_unnest(conn, table, names)}"
    if returning:
        sql += f" RETURNING {', '.join(quote(n) for n in returning)}"
    found: list[tuple] = []
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = [tuple(row[n] for n in names) for row in rows[start:start + ROWS_PER_STATEMENT]]
        result = conn.exec_driver_sql(sql, tuple(_columns_of(conn, table, names, chunk)))
        if returning:
            found.extend(tuple(r) for r in result)
    return found


def fetch_dicts(conn: Connection, query) -> list[dict[str, Any]]:
    """The rows of `query` as plain dicts, without a mapping object per row."""
    result = conn.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]
