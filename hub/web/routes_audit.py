"""The audit log at `/audit`: search by actor, action, subject and days, a page at a time; verify the chain.

Verifying walks the whole hash chain, as `counterpay hub audit verify` does
(hub.audit.log.verify), and shows the verdict with every break found.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from hub.audit.log import verify
from hub.audit.search import AuditFilter, audit_page
from hub.store.paging import PagingError
from hub.users.sessions import Session
from hub.web.auth import require
from hub.web.listing import PAGE_SIZE, day_end, day_start, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("audit.read"))]
Verifier = Annotated[Session, Depends(require("audit.verify"))]


def _search(request: Request, session: Session, *, actor: str, action: str, subject: str, since: str,
            until: str, cursor: str, verdict=None):
    errors = {}
    try:
        start, end = day_start(since), day_end(until)
    except ValueError:
        errors["since"] = ("audit.bad_date", {})
        start = end = None
    wanted = AuditFilter(actor=actor.strip() or None, action=action.strip() or None, subject=subject.strip() or None,
                         since=start, until=end)
    with request.app.state.db.connect() as conn:
        try:
            found = audit_page(conn, wanted, cursor=cursor or None, limit=PAGE_SIZE)
        except PagingError:
            errors["form"] = ("audit.bad_cursor", {})
            found = audit_page(conn, wanted, limit=PAGE_SIZE)
    return render(request, "audit.html", session=session, found=found, errors=errors, verdict=verdict,
                  form=dict(actor=actor, action=action, subject=subject, since=since, until=until),
                  link=lambda **changes: link(request, **changes), iso=dt.datetime.fromisoformat,
                  status_code=422 if errors else 200)


@router.get("/audit")
def search(request: Request, session: Reader, actor: str = "", action: str = "", subject: str = "",
           since: str = "", until: str = "", cursor: str = ""):
    return _search(request, session, actor=actor, action=action, subject=subject, since=since, until=until,
                   cursor=cursor)


@router.post("/audit/verify")
def check(request: Request, session: Verifier):
    with request.app.state.db.connect() as conn:
        breaks = verify(conn)
    verdict = {"intact": not breaks, "breaks": breaks}
    if request.headers.get("HX-Request"):
        return render(request, "audit_verdict.html", session=session, verdict=verdict)
    return _search(request, session, actor="", action="", subject="", since="", until="", cursor="",
                   verdict=verdict)
