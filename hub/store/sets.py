"""Set-based SQL for runs that touch 100,000 rows in one transaction (reconciliation, bulk queueing).

    query.where(one_of(conn, orders.c.iuv, iuvs))          # one parameter, any number of values
    update_by_id(conn, flows, ("status", "reason"), [(row_id, status, reason), ...])
    insert_returning(conn, payments, rows, ("id", "agent_id", "payment_id"))
    insert_many(conn, deliveries, rows)

An `IN (?, ?, …)` of 500 values costs SQLAlchemy and psycopg a bind, a cast and a query
split per value, and an executemany of 100,000 UPDATEs costs PostgreSQL 100,000
statements.  Here a set of values travels as one parameter — a PostgreSQL array
(`= ANY(…)`) or, on SQLite, a JSON array read by `json_each` (both searched through the
column's index) — so a statement's cost does not grow with its values, nor does it meet
a parameter limit (SQLite's 32,766, PostgreSQL's 65,535).

Rows are written on PostgreSQL with COPY, whose rows psycopg formats in C (binary
arrays for `unnest` were formatted element by element in Python: a third of a
reconciliation run): `insert_many` copies into the table; `update_by_id` copies into a
temporary table made like the target's columns and updates from it in one statement;
`insert_returning` takes the new rows' ids from the table's sequence first and copies
them along, so nothing is read back.  Values keep the column's own type throughout (a
VARCHAR(16) stays one), so a value too long for its column is refused exactly as an
INSERT or UPDATE would.  On SQLite rows go through the driver's executemany, which binds
per row and so has no parameter limit; `insert_returning` sends as many rows per
statement as the connection's variable limit allows.

Every function takes empty input and does nothing; rows that disagree about their
columns, and an update naming one id twice (which row would win differs between the
two databases), are refused before anything is written.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from operator import itemgetter
from typing import Any, Iterable, Sequence

from sqlalchemy import JSON, Connection, String, Table, Text, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from hub.store.bulk import insert_rows

SQLITE_DEFAULT_VARIABLES = 32_766       # SQLite >= 3.32; the connection says its own where Python can ask


def one_of(conn: Connection, column, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` as one bound parameter, searched through the column's index."""
    listed = list(values)
    if conn.dialect.name == "postgresql":
        # text[], not varchar(n)[]: a cast to varchar(n) would cut a longer value down to one that matches
        element = Text() if isinstance(column.type, String) else column.type
        literal = array_literal(listed)
        if literal is not None:
            return column == func.any(bindparam(None, literal, type_=_ArrayText(element)))
        return column == func.any(bindparam(None, listed, type_=ARRAY(element)))
    members = select(literal_column("value")).select_from(func.json_each(bindparam(None, json.dumps(listed))))
    return column.in_(members)


class _ArrayText(TypeDecorator):
    """An array parameter given as its text form (`array_literal`), bound as `%s::T[]`: the
    server reads the text as the array when it binds it, so the planner sees the values (a
    `CAST` in the query would be evaluated again for every row it filters)."""
    impl = ARRAY
    cache_ok = True

    def bind_processor(self, dialect):
        return None                       # the text goes as it is


def array_literal(values: list[Any]) -> str | None:
    """PostgreSQL's text form of an array of `values` when all are strings or all integers,
    made by `str.join` in C (psycopg's list dumper formats element by element in Python: a
    tenth of a reconciliation run); None for anything else, left to psycopg.  Every string
    element is quoted, backslashes and double quotes escaped: nothing else is special inside
    quotes, so any text round-trips."""
    if all(type(value) is str for value in values):
        if not values:
            return "{}"
        # Joined by NUL, which no PostgreSQL text holds, escaped whole, then each NUL made `","`.
        joined = "\0".join(values)
        if joined.count("\0") != len(values) - 1:
            return None                                 # a NUL in a value: psycopg refuses it as it should
        escaped = joined.replace("\\", "\\\\").replace('"', '\\"').replace("\0", '","')
        return '{"' + escaped + '"}'
    if all(type(value) is int for value in values):         # not bool: type() is exact
        return "{" + ",".join(map(str, values)) + "}"
    return None


def _serialiser(conn: Connection):
    return getattr(conn.dialect, "_json_serializer", None) or json.dumps


def _check_columns(table: Table, rows: list[dict[str, Any]]) -> tuple[str, ...]:
    """The column names every row gives (the same for all, all of them `table`'s)."""
    names = tuple(rows[0])
    first = rows[0].keys()
    for row in rows:
        if row.keys() != first:
            raise ValueError(f"rows for {table.name} differ in their columns: {sorted(first ^ row.keys())}")
    unknown = set(names) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    return names


def _tuples(conn: Connection, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[tuple]:
    """`rows` (sequences in the order of `names`) as tuples, JSON columns serialised as the engine would
    (None in a JSON column is JSON null, as SQLAlchemy's JSON type stores it by default)."""
    return list(_tuples_of(conn, table, names, rows))


def _tuples_of(conn: Connection, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]):
    as_json = [index for index, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
    if not as_json:
        yield from map(tuple, rows)
        return
    serialise = _serialiser(conn)
    for row in rows:
        values = list(row)
        for index in as_json:
            values[index] = serialise(values[index])
        yield tuple(values)


def _row_tuples(conn: Connection, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> list[tuple]:
    pick = itemgetter(*names)
    picked = map(pick, rows) if len(names) > 1 else ((pick(row),) for row in rows)
    return _tuples(conn, table, names, picked)


def _quoted(conn: Connection, names: Iterable[str]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    return ", ".join(quote(name) for name in names)


def _copy(conn: Connection, target: str, names: Sequence[str], rows: Iterable[tuple]) -> None:
    """COPY `rows` into `target` (a quoted table name) on the connection's own transaction."""
    sql = f"COPY {target} ({_quoted(conn, names)}) FROM STDIN"
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi_error as error:
        # As SQLAlchemy raises it for any other statement (DataError, IntegrityError, …), for callers to catch alike.
        raise DBAPIError.instance(sql, None, error, dbapi_error, dialect=conn.dialect) from error
    finally:
        cursor.close()


def update_by_id(conn: Connection, table: Table, names: Sequence[str], rows: list[Sequence[Any]]) -> None:
    """Set columns `names` of the rows given as (id, *values), by primary key `id`."""
    if not rows:
        return
    ids = [row[0] for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"an update of {table.name} names one id more than once")
    quote = conn.dialect.identifier_preparer.quote
    values = _tuples(conn, table, ("id", *names), rows)
    if conn.dialect.name != "postgresql":
        assignments = ", ".join(f"{quote(name)} = ?" for name in names)
        conn.exec_driver_sql(f"UPDATE {quote(table.name)} SET {assignments} WHERE id = ?",
                             [(*row[1:], row[0]) for row in values])
        return
    staging = quote(f"cp_set_{uuid.uuid4().hex[:16]}")
    listed = _quoted(conn, ("id", *names))
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                         f"SELECT {listed} FROM {quote(table.name)} WITH NO DATA")
    _copy(conn, staging, ("id", *names), values)
    conn.exec_driver_sql(f"ANALYZE {staging}")          # the planner's row count: a join, not a guess
    assignments = ", ".join(f"{quote(name)} = v.{quote(name)}" for name in names)
    conn.exec_driver_sql(f"UPDATE {quote(table.name)} SET {assignments} FROM {staging} AS v "
                         f"WHERE {quote(table.name)}.id = v.id")
    # Dropped now, not at commit, for a long transaction's sake; after a failure the
    # transaction is void and its rollback drops it (a DROP here would hide the error).
    conn.exec_driver_sql(f"DROP TABLE {staging}")


def insert_many(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys): PostgreSQL one COPY, SQLite one executemany.

    `rows` may be a generator: on PostgreSQL each row is copied as it is made, so the
    server stores rows while Python makes the next ones (the generator must not use the
    connection: the COPY holds it).  A generated row whose columns differ from the first's
    fails the COPY, and with it the transaction."""
    if conn.dialect.name != "postgresql" or isinstance(rows, list):
        rows = list(rows)
        if not rows:
            return
        if conn.dialect.name != "postgresql":
            insert_rows(conn, table, rows)
            return
        names = _check_columns(table, rows)
        _copy(conn, conn.dialect.identifier_preparer.quote(table.name), names, _row_tuples(conn, table, names, rows))
        return
    made = iter(rows)
    first = next(made, None)
    if first is None:
        return
    names = _check_columns(table, [first])
    picked = map(itemgetter(*names), _alike(table, first, made)) if len(names) > 1 else (
        (row[names[0]],) for row in _alike(table, first, made))
    _copy(conn, conn.dialect.identifier_preparer.quote(table.name), names, _tuples_of(conn, table, names, picked))


def _alike(table: Table, first: dict[str, Any], rest: Iterable[dict[str, Any]]):
    """`first`, then each of `rest` once it is seen to have the same columns."""
    yield first
    keys = first.keys()
    for row in rest:
        if row.keys() != keys:
            raise ValueError(f"rows for {table.name} differ in their columns: {sorted(keys ^ row.keys())}")
        yield row


def _sqlite_variables(conn: Connection) -> int:
    raw = conn.connection.driver_connection
    getlimit = getattr(raw, "getlimit", None)             # Python >= 3.11
    return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else SQLITE_DEFAULT_VARIABLES


def insert_returning(conn: Connection, table: Table, rows: list[dict[str, Any]],
                     returning: Sequence[str]) -> list[tuple]:
    """Insert `rows` and return `returning` of each row stored (in no promised order), as
    the driver gives them (a JSON column as its text).  `returning` names columns the rows
    give, or `id` when they do not give it."""
    if not rows:
        return []
    names = _check_columns(table, rows)
    missing = set(returning) - set(names) - {"id"}
    if missing:
        raise ValueError(f"insert_returning returns only what the rows give, and id: not {sorted(missing)}")
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        if "id" not in names:
            # The ids first, from the table's own sequence, then one COPY: no RETURNING to read back.
            ids = conn.exec_driver_sql(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                                       "FROM generate_series(1, %(n)s)", {"n": len(rows)}).scalars().all()
            rows = [{**row, "id": row_id} for row, row_id in zip(rows, ids, strict=True)]
            names = (*names, "id")
        values = _row_tuples(conn, table, names, rows)
        _copy(conn, quote(table.name), names, values)
        pick = itemgetter(*(names.index(name) for name in returning))
        return [pick(row) if len(returning) > 1 else (pick(row),) for row in values]
    per_statement = max(1, _sqlite_variables(conn) // len(names))
    found: list[tuple] = []
    head = f"INSERT INTO {quote(table.name)} ({_quoted(conn, names)}) VALUES "
    tail = f" RETURNING {_quoted(conn, returning)}"
    mark = f"({', '.join('?' * len(names))})"
    values = _row_tuples(conn, table, names, rows)
    for start in range(0, len(values), per_statement):
        chunk = values[start:start + per_statement]
        params = [value for row in chunk for value in row]
        found.extend(tuple(r) for r in conn.exec_driver_sql(head + ", ".join([mark] * len(chunk)) + tail, tuple(params)))
    return found


def fetch_dicts(conn: Connection, query) -> list[dict[str, Any]]:
    """The rows of `query` as plain dicts, without a mapping object per row."""
    result = conn.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]
