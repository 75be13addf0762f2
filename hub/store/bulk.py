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
from operator import itemgetter
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
    as_json = [index for index, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    sql = _statement(table, columns, dialect.paramstyle, dialect.identifier_preparer.quote)
    # itemgetter picks a row's values in C: building the tuples in Python was a third of this call
    pick = itemgetter(*columns)
    values = list(map(pick, rows)) if len(columns) > 1 else [(pick(row),) for row in rows]
    # None in a JSON column is JSON null, as SQLAlchemy's JSON type stores it by default.
    for position in range(len(values)) if as_json else ():
        row = list(values[position])
        for index in as_json:
            row[index] = serialise(row[index])
        values[position] = tuple(row)
    conn.exec_driver_sql(sql, values)
