"""Part of a name, found whatever its case, in the way each database can answer from an index.

PostgreSQL: `name ILIKE '%part%'`, which the trigram indexes of migration 0014 answer.
SQLite: `name LIKE '%part%'`: SQLite's LIKE already ignores the case of ASCII letters (as its
lower() does: neither folds other letters), and without lower() around every row's value a
scan of a million names costs a quarter of the time.  `%`, `_` and `\\` typed in `part` are
matched as themselves.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection


def contains_ignoring_case(conn: Connection, column: ColumnElement, part: str) -> ColumnElement[bool]:
    pattern = "%" + part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if conn.dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")
