"""Exporting notices from the back office: `/orders/notices.zip` with the /orders listing's filters.

The same zip as `counterpay hub notices export` (hub/notices/bulk.py): one PDF per order the
listing finds, cancelled ones left out, and postal.csv.  A GET like the other downloads
(choosing changes nothing; the export is written to the audit log under the user's name),
within the user's offices.  The zip is built in a temporary file, then sent: memory stays
flat for thousands of notices, and a failure midway sends an error, never half a zip.
"""

from __future__ import annotations

import tempfile
from typing import Annotated, Iterator
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from hub.notices.bulk import export_listing
from hub.notices.selection import listed_orders
from hub.users.sessions import Session
from hub.web.auth import require, settings_of
from hub.web.routes_orders import listing_filter, orders

router = APIRouter(include_in_schema=False)
Exporter = Annotated[Session, Depends(require("notices.export"))]
CHUNK = 1 << 16


@router.get("/orders/notices.zip")
def export(request: Request, session: Exporter):
    typed, errors, listing = listing_filter(request, session)
    if errors:
        return orders(request, session)         # the listing shows what is wrong beside each filter
    db = request.app.state.db
    with db.connect() as conn:
        empty = next(iter(listed_orders(conn, listing)), None) is None
    if empty:
        query = urlencode({k: v for k, v in typed.items() if v} | {"notices": "none"})
        return RedirectResponse(f"/orders?{query}", status_code=303)
    spool = tempfile.TemporaryFile()
    try:
        export_listing(db, settings_of(request), listing, spool, actor=session.user.actor, via="console")
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return StreamingResponse(_chunks(spool), media_type="application/zip",
                             headers={"Content-Disposition": 'attachment; filename="notices.zip"'})


def _chunks(spool) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()
