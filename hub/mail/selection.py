"""Which orders a send request mails: the orders named, or every unpaid order a filter picks.

MERGE: a stand-in, to be replaced by `hub.notices.selection.select_orders(conn, order_ids=…,
unpaid=…, office=…, due_before=…, scope=…)` from the notices branch (the export shares it);
keep the call in `select_for_mail` and delete the body.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select

from hub.orders.search import status_is
from hub.store.tables import orders
from hub.users.scope import Scope


class SelectionRefused(ValueError):
    """The selection names orders that do not exist (or lie outside the caller's offices)."""


def select_for_mail(conn: Connection, *, order_ids: list[str] | None = None, unpaid: bool = False,
                    office: str | None = None, due_before: dt.date | None = None,
                    scope: Scope) -> list[dict[str, Any]]:
    """The orders, by order id.  Named orders must all exist within `scope`; `unpaid` takes
    those nothing is paid on yet and not cancelled, of `office`, due before `due_before`."""
    query = select(orders).where(scope.filter(orders.c.office)).order_by(orders.c.order_id)
    if order_ids:
        wanted = list(dict.fromkeys(order_ids))
        found = [dict(row) for row in conn.execute(query.where(orders.c.order_id.in_(wanted))).mappings()]
        missing = sorted(set(wanted) - {row["order_id"] for row in found})
        if missing:
            raise SelectionRefused(f"no order {', '.join(missing)} (or not in your offices); check the order ids")
        return found
    if not unpaid:
        raise SelectionRefused("nothing selected: name orders, or ask for the unpaid ones")
    query = query.where(status_is("unpaid"), orders.c.cancelled_at.is_(None))
    if office:
        query = query.where(orders.c.office == office)
    if due_before:
        query = query.where(orders.c.due_date < due_before.isoformat())
    return [dict(row) for row in conn.execute(query).mappings()]
