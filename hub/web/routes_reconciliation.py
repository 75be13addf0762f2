"""Reconciliation at `/reconciliation`: upload a statement or flow, run matching, the lists by status, resolve.

The lists (statement lines, flows, flow payments) keep their filters, sort and cursor in
the URL (keyset pages, hub/store/paging.py) and show only the viewer's offices.  Upload,
run and resolve go through hub/finance/reconcile/, the path of the CLI and the API: a
refused file is shown with where and why, and nothing of it is stored; a resolution is
audited under the user's name.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from hub.errors import HubError
from hub.finance.records import ImportRefused
from hub.finance.reconcile import imports, report
from hub.finance.reconcile.resolve import BadNote, NotAnAnomaly, NoSuchItem, resolve
from hub.finance.reconcile.status import STATUSES
from hub.store.paging import PagingError
from hub.users.sessions import Session
from hub.web.auth import require, settings_of
from hub.web.listing import PAGE_SIZE, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Session, Depends(require("reconcile.read"))]
Manager = Annotated[Session, Depends(require("reconcile.manage"))]
LISTS = report.LISTS
SUBJECTS = {"lines": "line", "flows": "flow", "payments": "payment"}
FORMATS = ("auto", "fdr", "camt", "mt940", "csv")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _page(request: Request, session: Session, *, status_code: int = 200, upload: dict | None = None,
          notice: tuple | None = None):
    query = request.query_params
    name = query.get("list") if query.get("list") in LISTS else "lines"
    status = query.get("status") if query.get("status") in STATUSES else None
    wanted = report.ReportFilter(status=status, office=query.get("office") or None,
                                 reference=(query.get("reference") or "").strip()[:200] or None)
    errors = {}
    with request.app.state.db.connect() as conn:
        try:
            found, items = report.page(conn, name, session.user.scope, wanted, sort=query.get("sort") or None,
                                       cursor=query.get("cursor") or None, limit=PAGE_SIZE)
        except PagingError:
            errors["form"] = ("reconcile.bad_cursor", {})
            found, items = report.page(conn, name, session.user.scope, wanted, limit=PAGE_SIZE)
        counts = report.counts(conn, session.user.scope)
    if notice is None and query.get("resolved"):
        notice = ("reconcile.resolved", {"id": query.get("resolved")})
    if notice is None and query.get("changed"):
        notice = ("reconcile.ran", {"changed": query.get("changed"), "made": query.get("made", "0")})
    return render(request, "reconciliation.html", session=session, status_code=status_code, name=name,
                  status=status, wanted=wanted, found=found, items=items, counts=counts, errors=errors,
                  statuses=STATUSES, lists=LISTS, formats=FORMATS, upload=upload or {}, notice=notice,
                  sorts=["id", "amount"], subject=SUBJECTS[name],
                  link=lambda **changes: link(request, **changes))


@router.get("/reconciliation")
def show(request: Request, session: Reader):
    return _page(request, session)


def _import(request: Request, session: Session, data: bytes, fields: dict) -> imports.ImportOutcome:
    columns = None
    if fields["columns"]:
        from hub.finance.formats.csv_statement import parse_columns_option
        try:
            columns = parse_columns_option(fields["columns"])
        except (ValueError, ImportRefused) as exc:
            raise imports.ImportUsage(f"columns: {exc}") from None
    return imports.import_file(request.app.state.db, data, actor=session.user.actor, fmt=fields["format"],
                               columns=columns, account_iban=fields["account"] or None,
                               office=fields["office"] or None, file_name=fields["file_name"],
                               creditor_fiscal_code=settings_of(request).creditor_fiscal_code,
                               currency=settings_of(request).currency,
                               scope=session.user.scope)


@router.post("/reconciliation/import")
async def upload(request: Request, session: Manager, file: UploadFile | None = None, format: str = Form("auto"),
                 account: str = Form(""), office: str = Form(""), columns: str = Form("")):
    fields = {"format": format if format in FORMATS else "auto", "account": account.strip()[:34],
              "office": office.strip()[:64], "columns": columns.strip()[:200],
              "file_name": (file.filename or "")[-300:] if file else ""}
    if file is None or not file.filename:
        return _page(request, session, status_code=422, upload={**fields, "error": ("reconcile.no_file", {})})
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return _page(request, session, status_code=413, upload={
            **fields, "error": ("reconcile.too_big", {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)})})
    try:
        outcome = await run_in_threadpool(_import, request, session, data, fields)
    except ImportRefused as exc:
        return _page(request, session, status_code=422, upload={
            **fields, "refused": {"where": exc.where, "reason": exc.reason}})
    except HubError as exc:
        return _page(request, session, status_code=exc.status, upload={
            **fields, "error": ("reconcile.import_problem", {"detail": str(exc)})})
    stored = outcome.stored
    if stored.repeated:
        done = ("reconcile.already_imported", {"at": stored.first_at or ""})
    else:
        done = ("reconcile.imported_" + stored.kind, {"items": stored.items, "added": stored.added,
                                                      "office": outcome.office})
    return _page(request, session, status_code=201, upload={**fields, "done": done})


@router.post("/reconciliation/run")
def run(request: Request, session: Manager):
    outcome = imports.run(request.app.state.db)
    query = urlencode({"status": "anomaly", "changed": outcome.changed, "made": outcome.payments_made})
    return RedirectResponse(f"/reconciliation?{query}", status_code=303)


def _item(request: Request, session: Session, name: str, row_id: int) -> dict | None:
    with request.app.state.db.connect() as conn:
        table, query, item = report.TABLES[name]
        row = conn.execute(query.where(table.c.id == row_id, session.user.scope.filter(table.c.office))
                           ).mappings().first()
    return item(dict(row)) if row else None


def _resolve_page(request: Request, session: Session, name: str, row_id: int, *, note: str = "",
                  error: tuple | None = None, status_code: int = 200):
    item = _item(request, session, name, row_id)
    if item is None:
        return render(request, "not_found.html", session=session, status_code=404,
                      message=("reconcile.not_found", {"id": row_id}), back="/reconciliation")
    return render(request, "reconciliation_resolve.html", session=session, status_code=status_code, name=name,
                  subject=SUBJECTS[name], item=item, note=note, error=error)


@router.get("/reconciliation/{name}/{row_id}/resolve")
def resolve_form(request: Request, session: Manager, name: str, row_id: RowId):
    if name not in LISTS:
        return _resolve_page(request, session, "lines", 0)
    return _resolve_page(request, session, name, row_id)


@router.post("/reconciliation/{name}/{row_id}/resolve")
def resolve_anomaly(request: Request, session: Manager, name: str, row_id: RowId, note: str = Form("")):
    if name not in LISTS:
        return _resolve_page(request, session, "lines", 0)
    try:
        with request.app.state.db.begin() as conn:
            resolve(conn, SUBJECTS[name], row_id, note, actor=session.user.actor, scope=session.user.scope)
    except BadNote:
        return _resolve_page(request, session, name, row_id, note=note, status_code=422,
                             error=("reconcile.error.note", {}))
    except NotAnAnomaly:
        return _resolve_page(request, session, name, row_id, note=note, status_code=409,
                             error=("reconcile.error.not_anomaly", {}))
    except NoSuchItem:
        return _resolve_page(request, session, name, row_id)
    query = urlencode({"list": name, "status": "anomaly", "resolved": row_id})
    return RedirectResponse(f"/reconciliation?{query}", status_code=303)
