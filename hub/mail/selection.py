"""Which orders a send request mails: the orders named, or every unpaid order a filter picks,
chosen exactly as the notices export chooses them (hub/notices/selection.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from hub.notices.selection import SelectionError, select_orders
from hub.users.scope import Scope


class SelectionRefused(ValueError):
    """The selection names orders that do not exist (or lie outside the caller's offices)."""


def select_for_mail(conn: Connection, *, order_ids: list[str] | None = None, unpaid: bool = False,
                    office: str | None = None, due_before: dt.date | None = None,
                    scope: Scope) -> list[dict[str, Any]]:
    """The orders, by order id.  Named orders must all exist within `scope`; `unpaid` takes
    those nothing is paid on yet and not cancelled, of `office`, due before `due_before`."""
    try:
        chosen = list(select_orders(conn, order_ids=order_ids, unpaid=unpaid, office=office,
                                    due_before=due_before, scope=scope))
    except SelectionError as exc:
        raise SelectionRefused(str(exc)) from None
    return sorted(chosen, key=lambda order: order["order_id"])
