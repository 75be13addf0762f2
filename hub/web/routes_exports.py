"""Exports to accounting at `/exports`: a form (kind, period, filters, format) that downloads the file.

The form is a GET: choosing an export changes nothing, so it needs no CSRF token and the
URL of a download can be kept as a bookmark.  `/exports/download` streams the file as
the API and `counterpay hub export` do (hub/finance/exports/), within the user's offices,
and writes who exported what in the audit log; a refused filter shows the form again
with the reason by the field (422).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from hub.finance.exports.columns import KINDS
from hub.finance.exports.filters import CHANNELS, DATE_BY, FORMATS, STATUSES, TENDERS, ExportRefused, ExportRequest
from hub.finance.exports.service import audit, export_chunks
from hub.finance.exports.writers import MEDIA_TYPES
from hub.users.sessions import Session
from hub.web.auth import require
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Exporter = Annotated[Session, Depends(require("exports.read"))]
FIELDS = ("kind", "from", "to", "date_by", "office", "account", "tender", "channel", "status", "format")


def _form(request: Request, session: Session, typed: dict[str, str], errors: dict, status_code: int = 200):
    return render(request, "exports.html", session=session, status_code=status_code, typed=typed, errors=errors,
                  kinds=KINDS, date_by=DATE_BY, tenders=TENDERS, channels=CHANNELS, formats=FORMATS,
                  statuses=STATUSES)


def _typed(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in FIELDS}


@router.get("/exports")
def form(request: Request, session: Exporter):
    typed = _typed(request)
    typed["kind"] = typed["kind"] or "payments"
    return _form(request, session, typed, {})


@router.get("/exports/download")
def download(request: Request, session: Exporter):
    typed = _typed(request)
    try:
        asked = ExportRequest.build(typed["kind"] or "payments", date_from=typed["from"], date_to=typed["to"],
                                    date_by=typed["date_by"] or None, fmt=typed["format"] or None,
                                    office=typed["office"], account=typed["account"], tender=typed["tender"],
                                    channel=typed["channel"], status=typed["status"], scope=session.user.scope)
    except ExportRefused as refused:
        field = refused.field.replace("date-by", "date_by")
        return _form(request, session, typed, {field: (f"exports.error.{refused.code}", {})}, status_code=422)
    audit(request.app.state.db, asked, session.user.actor, "console")
    return StreamingResponse(export_chunks(request.app.state.db, asked), media_type=MEDIA_TYPES[asked.fmt],
                             headers={"Content-Disposition": f'attachment; filename="{asked.file_name()}"'})
