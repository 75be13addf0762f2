"""Exports to accounting over the API: `GET /api/v1/exports/{payments|entries|flows|anomalies}`.

    GET /api/v1/exports/payments?from=2026-03-01&to=2026-03-31&office=ROMA-1&format=csv
    GET /api/v1/exports/entries?from=…&to=…        Accept: text/csv | application/json |
                                                   application/vnd.openxmlformats-officedocument.spreadsheetml.sheet

`format` wins over `Accept`; with neither (or `*/*`) the answer is CSV.  The body is
streamed as the rows are read (hub/finance/exports/), within the caller's offices: an
office outside them is refused (422), and without `office` only the caller's offices
are exported.  Tokens of role auditor or admin may export, and console users whose role
has `exports.read` (finance, auditor, admin).  Every export is in the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse

from hub.api.deps import Db, require_role
from hub.api.security import Principal
from hub.finance.exports.columns import COLUMNS, KINDS
from hub.finance.exports.filters import ExportRequest
from hub.finance.exports.service import audit, export_chunks
from hub.finance.exports.writers import MEDIA_TYPES

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
Exporter = Annotated[Principal, Depends(require_role("auditor", permission="exports.read"))]
_BY_MEDIA_TYPE = {"text/csv": "csv", "application/json": "json", MEDIA_TYPES["xlsx"]: "xlsx",
                  "*/*": "csv", "text/*": "csv"}


def negotiated(accept: str) -> str | None:
    """The format an Accept header asks for first (by q-value, then order), or None if none is ours."""
    offers = []
    for position, part in enumerate(accept.split(",")):
        media_type, *parameters = [p.strip() for p in part.split(";")]
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_type.lower() in _BY_MEDIA_TYPE and quality > 0:
            offers.append((-quality, position, _BY_MEDIA_TYPE[media_type.lower()]))
    return min(offers)[2] if offers else None


# The JSON form is an array of rows whose fields are the kind's columns (hub/finance/exports/columns.py).
_JSON_ROW = {"type": "object", "description": "one row; the fields are the columns of the kind asked for",
             "properties": {name: {} for kind in KINDS for name in COLUMNS[kind]}}
_ANSWERS = {
    MEDIA_TYPES["csv"]: {"schema": {"type": "string", "description": "RFC 4180, a header row of the columns"}},
    MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
    MEDIA_TYPES["json"]: {"schema": {"type": "array", "items": _JSON_ROW}},
}


@router.get("/{kind}", responses={200: {"content": _ANSWERS, "description": "the export, streamed"}})
def export(request: Request, db: Db, principal: Exporter,
           kind: Annotated[str, Path(description=f"one of {', '.join(KINDS)}")],
           date_from: Annotated[dt.date, Query(alias="from", description="first day, YYYY-MM-DD")],
           date_to: Annotated[dt.date, Query(alias="to", description="last day (included), YYYY-MM-DD")],
           date_by: Literal["payment", "booking"] = "payment", office: str | None = None,
           account: str | None = None, tender: str | None = None, channel: str | None = None,
           status: str | None = None,
           format: Annotated[Literal["csv", "xlsx", "json"] | None, Query(description="wins over Accept")] = None):
    if kind not in KINDS:
        raise HTTPException(404, f"no export {kind!r}; there are {', '.join(KINDS)}")
    fmt = format or negotiated(request.headers.get("accept") or "*/*")
    if fmt is None:
        raise HTTPException(406, "exports are text/csv, application/json or "
                                 f"{MEDIA_TYPES['xlsx']}: ask for one in Accept, or give format=")
    asked = ExportRequest.build(kind, date_from=date_from, date_to=date_to, date_by=date_by, fmt=fmt, office=office,
                                account=account, tender=tender, channel=channel, status=status,
                                scope=principal.scope)
    audit(db, asked, principal.actor, "api")
    return StreamingResponse(export_chunks(db, asked), media_type=MEDIA_TYPES[fmt],
                             headers={"Content-Disposition": f'attachment; filename="{asked.file_name()}"',
                                      "Vary": "Accept"})
