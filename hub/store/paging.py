"""Keyset pagination: every list pages by the values of its sort key, never by OFFSET.

A page is fetched with `WHERE (key, id) < (last key, last id) ORDER BY key, id LIMIT n`, so
page 1,000 costs what page 1 costs when an index matches the order (each list's sort
columns have one: hub/store/tables.py).  The unique column after the sort key breaks ties,
so rows with equal keys are neither skipped nor repeated.  NULL keys sort last in both
directions, on SQLite and PostgreSQL alike.

A cursor is an opaque url-safe string (base64 of a small JSON) that names the sort it was
made for, the direction to go from it and the boundary row's key values; a link with a
cursor can be shared and keeps working while rows are added.  The page carries the cursor
of the page after it and of the page before it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Select, and_, or_, tuple_

from hub.errors import InvalidInput


class PagingError(ValueError, InvalidInput):
    """A sort or cursor this list does not have; the message says what it takes."""


@dataclass(frozen=True)
class Sort:
    """One way to order a list: by `key` (a name from the list's `Ordering`), descending or not.

    In a URL it reads `sort=captured_at` or `sort=-captured_at` (descending)."""
    key: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> Sort:
        return cls(text[1:], True) if text.startswith("-") else cls(text, False)

    def __str__(self) -> str:
        return f"-{self.key}" if self.descending else self.key


@dataclass(frozen=True)
class Ordering:
    """The sorts a list allows (URL name → column), its unique tie-breaker and its default sort."""
    columns: Mapping[str, Column]
    unique: Column
    default: Sort

    def sort(self, text: str | Sort | None) -> Sort:
        sort = self.default if text is None else text if isinstance(text, Sort) else Sort.parse(text)
        if sort.key not in self.columns:
            allowed = ", ".join(sorted(self.columns))
            raise PagingError(f"cannot sort by {sort.key!r}: sort by one of {allowed} (a leading '-' for descending)")
        return sort


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None       # the page after this one, if any
    prev_cursor: str | None       # the page before this one, if any
    sort: Sort


def encode_cursor(sort: Sort, values: Sequence[Any], *, before: bool) -> str:
    document = {"s": str(sort), "v": list(values), "b": before}
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[list[Any], bool]:
    """The boundary values and whether to go before them; refuses a cursor made for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
        made_for, values, before = document["s"], document["v"], document["b"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise PagingError("the cursor is not one this list gave out: start again from the first page") from None
    if made_for != str(sort):
        raise PagingError(f"the cursor was made for sort={made_for}, not sort={sort}: "
                          "start again from the first page of this sort")
    if not isinstance(values, list) or len(values) != 2 or not isinstance(before, bool):
        raise PagingError("the cursor is not one this list gave out: start again from the first page")
    return values, before


def _beyond(key: Column, unique: Column, values: list[Any], forward_descending: bool):
    """Rows strictly after the boundary `values` in the order (key, unique), NULL keys last."""
    value, unique_value = values
    if value is None:
        # Among the NULL keys, which come last whatever the direction.
        return and_(key.is_(None), unique < unique_value if forward_descending else unique > unique_value)
    after = (tuple_(key, unique) < tuple_(value, unique_value) if forward_descending
             else tuple_(key, unique) > tuple_(value, unique_value))
    return or_(after, key.is_(None)) if key.nullable else after


def _before(key: Column, unique: Column, values: list[Any], forward_descending: bool):
    """Rows strictly before the boundary `values` in the order (key, unique), NULL keys last."""
    value, unique_value = values
    if value is None:
        earlier_null = and_(key.is_(None), unique > unique_value if forward_descending else unique < unique_value)
        return or_(key.is_not(None), earlier_null)
    return (tuple_(key, unique) > tuple_(value, unique_value) if forward_descending
            else tuple_(key, unique) < tuple_(value, unique_value))


def _order_by(key: Column, unique: Column, descending: bool, *, nulls_first: bool = False) -> list:
    keys = [key.desc(), unique.desc()] if descending else [key.asc(), unique.asc()]
    if key.nullable:
        # Said explicitly: SQLite puts NULL first ascending, PostgreSQL last.
        keys[0] = keys[0].nulls_first() if nulls_first else keys[0].nulls_last()
    return keys


def fetch_page(conn: Connection, query: Select, ordering: Ordering, *, sort: str | Sort | None = None,
               cursor: str | None = None, limit: int = 100) -> Page:
    """One page of `query` (filters applied, no ORDER BY or LIMIT) in the given sort.

    Each row must carry the sort key's column and the tie-breaker under their own names.
    """
    sort = ordering.sort(sort)
    key, unique = ordering.columns[sort.key], ordering.unique
    before = False
    if cursor:
        values, before = decode_cursor(cursor, sort)
        bound = _before if before else _beyond
        query = query.where(bound(key, unique, values, sort.descending))
    if before:
        # Walk backwards from the boundary (the list's order reversed: NULL keys first),
        # then put the rows back in the list's order.
        reverse = _order_by(key, unique, not sort.descending, nulls_first=True)
        found = [dict(r) for r in conn.execute(query.order_by(*reverse).limit(limit + 1)).mappings()]
        more_before = len(found) > limit
        rows = list(reversed(found[:limit]))
        more_after = True
    else:
        found = [dict(r) for r in conn.execute(query.order_by(*_order_by(key, unique, sort.descending))
                                               .limit(limit + 1)).mappings()]
        more_after = len(found) > limit
        rows = found[:limit]
        more_before = cursor is not None
    if not rows:
        return Page(rows, None, None, sort)

    def boundary(row: dict[str, Any]) -> list[Any]:
        return [row[key.name], row[unique.name]]
    return Page(rows,
                next_cursor=encode_cursor(sort, boundary(rows[-1]), before=False) if more_after else None,
                prev_cursor=encode_cursor(sort, boundary(rows[0]), before=True) if more_before else None,
                sort=sort)
