"""Many rows into one table with one DB-API executemany, for the ingest's hot path.

SQLAlchemy Core builds and processes parameters per row (a third of the ingest's
Python time went there); here the statement is text made once per table and column
set, and rows go to the driver as tuples.  JSON columns are serialised the way the
engine would (its json_serializer, else json.dumps), so reading them back through
SQLAlchemy gives the same values.  Identifiers are quoted by the dialect.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, Table


@lru_cache(maxsize=64)
def _statement(table: Table, columns: tuple[str, ...], paramstyle: str, quote) -> str:
    mark = "?" if paramstyle == "qmark" else "%s"
    names = ", ".join(quote(name) for name in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(columns))})"


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys, all of them columns of `table`)."""
    if not rows:
        return
    columns = tuple(rows[0])
    first = rows[0].keys()
    for row in rows:
        if row.keys() != first:
            raise ValueError(f"rows for {table.name} differ in their columns: {sorted(first ^ row.keys())}")
    unknown = set(columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    dialect = conn.dialect
    serialise = getattr(dialect, "_json_serializer", None) or json.dumps
    as_json = [isinstance(table.c[name].type, JSON) for name in columns]
    sql = _statement(table, columns, dialect.paramstyle, dialect.identifier_preparer.quote)
    # None in a JSON column is JSON null, as SQLAlchemy's JSON type stores it by default.
    values = [tuple(serialise(row[name]) if is_json else row[name] for name, is_json in zip(columns, as_json, strict=True))
              for row in rows]
    conn.exec_driver_sql(sql, values)
