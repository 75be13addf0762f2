"""The dashboard at `/`: today's takings, agents, unlinked payments, webhooks and end-of-day mismatches,
in the viewer's scope.

An htmx request (the page refreshes its figures every 30 s) gets the figures alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from hub.finance.eod.listing import mismatch_count
from hub.users.sessions import Session
from hub.web.auth import require
from hub.web.figures import dashboard
from hub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def show(request: Request, session: Annotated[Session, Depends(require("dashboard.read"))]):
    today = dt.datetime.now(dt.timezone.utc).date()
    with request.app.state.db.connect() as conn:
        figures = dashboard(conn, session.user.scope, today)
        # The end-of-day tile, for those who may open its page.
        eod_mismatches = mismatch_count(conn, session.user.scope) if session.user.may("eod.read") else None
    template = "dashboard_figures.html" if request.headers.get("HX-Request") else "dashboard.html"
    return render(request, template, session=session, figures=figures, eod_mismatches=eod_mismatches,
                  iso=dt.datetime.fromisoformat)
