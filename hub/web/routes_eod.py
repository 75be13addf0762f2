"""Terminal end of day at `/eod`: every batch report, mismatches first, with the reported and the hub's figures.

Filters (office, agent, day closed, status) and the cursor live in the URL; the list is
the viewer's offices only (hub/finance/eod/listing.py).  Nothing here changes anything:
a mismatch clears itself when the missing payment reaches the hub.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from hub.finance.eod import listing
from hub.finance.eod.compare import STATUSES
from hub.store.paging import PagingError
from hub.users.sessions import Session
from hub.web.auth import require
from hub.web.listing import PAGE_SIZE, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("eod.read"))]


@router.get("/eod")
def reports(request: Request, session: Reader, office: str = "", agent: str = "", date: str = "", status: str = "",
            cursor: str = ""):
    errors: dict = {}
    day = None
    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        errors["date"] = ("eod.bad_date", {})
    if status and status not in STATUSES:
        errors["status"] = ("eod.bad_status", {})
        status = ""
    wanted = listing.EodFilter(office=office or None, agent=agent.strip() or None, day=day, status=status or None)
    scope = session.user.scope
    with request.app.state.db.connect() as conn:
        try:
            found = listing.report_page(conn, scope, wanted, cursor=cursor or None, limit=PAGE_SIZE)
        except PagingError:
            errors["form"] = ("eod.bad_cursor", {})
            found = listing.report_page(conn, scope, wanted, limit=PAGE_SIZE)
        offices = listing.offices(conn, scope)
    return render(request, "eod.html", session=session, found=found, offices=offices, office=office, agent=agent,
                  day_text=date, status=status, statuses=STATUSES, errors=errors,
                  link=lambda **changes: link(request, **changes), iso=dt.datetime.fromisoformat,
                  status_code=422 if errors else 200)
