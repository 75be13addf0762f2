"""Terminal end of day: the batch reports agents sent, each matched or mismatched with the hub's card payments.

Mismatches come first, then the newest batch; within the caller's office scope (a
report of another office is not listed).  Finance, supervisors and auditors read it
through their sessions (API role auditor), as do auditor and admin tokens.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from hub.api.deps import Db, Limit, require_role
from hub.api.schemas.eod import EodReportPage
from hub.api.security import Principal
from hub.finance.eod.listing import EodFilter, count, report_page

router = APIRouter(prefix="/api/v1/eod", tags=["end of day"])
Reader = Annotated[Principal, Depends(require_role("auditor", permission="eod.read"))]
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor or prev_cursor of a page")]
Sort = Annotated[Literal["-attention", "attention", "-closed_at", "closed_at"] | None,
                 Query(description="-attention (mismatches first, newest first) when not given")]


@router.get("", response_model=EodReportPage)
def list_reports(db: Db, principal: Reader, office: str | None = None, agent: str | None = None,
                 date: Annotated[dt.date | None, Query(description="the UTC day the batch was closed")] = None,
                 status: Literal["matched", "mismatch"] | None = None, limit: Limit = 100,
                 cursor: Cursor = None, sort: Sort = None) -> dict:
    wanted = EodFilter(office=office, agent=agent, day=date, status=status)
    with db.connect() as conn:
        total = count(conn, principal.scope, wanted)
        page = report_page(conn, principal.scope, wanted, sort=sort, cursor=cursor, limit=limit)
    return {"total": total, "reports": [{k: v for k, v in r.items() if k != "attention"} for r in page.rows],
            "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}
