"""Which orders get a notice: the selection `notices export` (and `notices send`) work through.

Either the orders named by id, or every unpaid order, narrowed to one office and to those
due before a day.  "Unpaid" is the console's status of the same name (nothing paid against
it, hub/orders/search.py), and a cancelled order is never selected: nobody should be asked
to pay it.  An order without a due date is not "due before" any day.

The orders come a batch at a time by key (created_at, order_id), each batch its own query:
memory stays flat for any number of orders, no cursor stays open across a slow consumer
(rendering, mailing), and an order created meanwhile is either seen once or not at all.
Everything is within `scope`, the offices of the user or token asking; an order named by id
outside it is refused like one that does not exist.

    >>> selection = Selection.build(unpaid=True, due_before="2026-04-01")
    >>> selection.due_before
    datetime.date(2026, 4, 1)
    >>> Selection.build()
    Traceback (most recent call last):
    ...
    hub.notices.selection.SelectionError: name orders (--order ID) or choose the unpaid ones (--unpaid)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, and_, or_, select

from hub.errors import InvalidInput
from hub.orders.search import OrderFilter, matching, status_is
from hub.store.tables import orders
from hub.users.scope import Scope

BATCH = 500
"""Orders read per query: large enough that 10,000 notices take 20 queries, small enough to hold."""


class SelectionError(ValueError, InvalidInput):
    """The selection cannot be made as asked; the message names the option to fix."""


@dataclass(frozen=True)
class Selection:
    order_ids: tuple[str, ...] = ()
    unpaid: bool = False
    office: str | None = None
    due_before: dt.date | None = None

    @classmethod
    def build(cls, *, order_ids: Iterable[str] | None = None, unpaid: bool = False, office: str | None = None,
              due_before: dt.date | str | None = None) -> "Selection":
        ids = tuple(dict.fromkeys(i.strip() for i in order_ids or () if i.strip()))
        if ids and unpaid:
            raise SelectionError("name orders (--order ID) or choose the unpaid ones (--unpaid), not both")
        if not ids and not unpaid:
            raise SelectionError("name orders (--order ID) or choose the unpaid ones (--unpaid)")
        if ids and (office or due_before):
            raise SelectionError("--office and --due-before narrow --unpaid; named orders are taken as named")
        if isinstance(due_before, str):
            try:
                due_before = dt.date.fromisoformat(due_before.strip())
            except ValueError:
                raise SelectionError(f"--due-before {due_before!r}: expected a date YYYY-MM-DD") from None
        return cls(order_ids=ids, unpaid=unpaid, office=(office or "").strip() or None, due_before=due_before)


def select_orders(conn: Connection, *, order_ids: Iterable[str] | None = None, unpaid: bool = False,
                  office: str | None = None, due_before: dt.date | str | None = None,
                  scope: Scope) -> Iterator[dict[str, Any]]:
    """The order rows (dicts of the orders table) the selection names, in a stable order.

    Raises SelectionError at once (before the first order) for a wrong selection, an office
    outside `scope`, or a named order that does not exist or that `scope` does not see.
    """
    selection = Selection.build(order_ids=order_ids, unpaid=unpaid, office=office, due_before=due_before)
    if selection.office and not scope.allows(selection.office):
        raise SelectionError(f"--office {selection.office}: not one of your offices ({scope.describe()})")
    if selection.order_ids:
        missing = _missing(conn, selection.order_ids, scope)
        if missing:
            raise SelectionError(f"no payment order {', '.join(missing)}"
                                 + ("" if scope.is_everything else f" in your offices ({scope.describe()})"))
        return _named(conn, selection.order_ids)
    return _batched(conn, _unpaid_where(selection, scope))


def listed_orders(conn: Connection, listing: OrderFilter) -> Iterator[dict[str, Any]]:
    """Every order a console listing's filters match (its search, status, due dates, office, scope).

    The back office's "Export notices" takes the orders as the listing shows them, all pages,
    but for cancelled ones: nobody is asked to pay those.
    """
    return _batched(conn, matching(conn, listing).where(orders.c.cancelled_at.is_(None)))


def _missing(conn: Connection, ids: tuple[str, ...], scope: Scope) -> list[str]:
    found: set[str] = set()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        found.update(conn.execute(select(orders.c.order_id).where(orders.c.order_id.in_(chunk),
                                                                  scope.filter(orders.c.office))).scalars())
    return [order_id for order_id in ids if order_id not in found]


def _named(conn: Connection, ids: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = {row["order_id"]: dict(row) for row in
                conn.execute(select(orders).where(orders.c.order_id.in_(chunk))).mappings()}
        yield from (rows[order_id] for order_id in chunk if order_id in rows)


def _unpaid_where(selection: Selection, scope: Scope):
    conditions = [orders.c.cancelled_at.is_(None), status_is("unpaid"), scope.filter(orders.c.office)]
    if selection.office:
        conditions.append(orders.c.office == selection.office)
    if selection.due_before:
        conditions.append(orders.c.due_date < selection.due_before.isoformat())
    return select(orders).where(and_(*conditions))


def _batched(conn: Connection, query) -> Iterator[dict[str, Any]]:
    """The rows of `query` by key (created_at, order_id), BATCH per query."""
    after: tuple[str, str] | None = None
    while True:
        page = query
        if after is not None:
            page = page.where(or_(orders.c.created_at > after[0],
                                  and_(orders.c.created_at == after[0], orders.c.order_id > after[1])))
        rows = [dict(row) for row in
                conn.execute(page.order_by(orders.c.created_at, orders.c.order_id).limit(BATCH)).mappings()]
        yield from rows
        if len(rows) < BATCH:
            return
        after = (rows[-1]["created_at"], rows[-1]["order_id"])
