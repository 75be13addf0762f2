"""Reconciliation: upload a statement or a reporting flow, run matching, list by status, resolve.

    POST /api/v1/reconciliation/imports?format=&account=&office=&columns=&file_name=   (the file as the body)
    POST /api/v1/reconciliation/run
    GET  /api/v1/reconciliation/report?status=
    GET  /api/v1/reconciliation/lines|flows|payments?status=&office=&reference=&sort=&cursor=&limit=
    POST /api/v1/reconciliation/lines|flows|payments/{id}/resolve   {"note": "…"}

Permissions `reconcile.read` and `reconcile.manage` (hub/users/roles.py): a console user by
its role; a token: admin manages, auditor reads.  Everything within the caller's offices:
a file for another office is refused (403), an item of another office does not exist (404).
A refused file is answered 422 with `where` and `reason`, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from hub.api.deps import Db, HubSettings, Limit, RowId, require_role
from hub.api.schemas.reconciliation import (FlowItem, FlowPage, FlowPaymentItem, FlowPaymentPage, ImportResult,
                                            LinePage, Report, ResolveRequest, RunResult, StatementLineItem)
from hub.api.security import Principal
from hub.finance.records import ImportRefused
from hub.finance.reconcile import imports, report
from hub.finance.reconcile.resolve import resolve
from hub.finance.reconcile.status import STATUSES
from hub.store.paging import PagingError

router = APIRouter(prefix="/api/v1/reconciliation", tags=["reconciliation"])
MAX_FILE_BYTES = 50 * 1024 * 1024
Reader = Annotated[Principal, Depends(require_role("auditor", permission="reconcile.read"))]
Manager = Annotated[Principal, Depends(require_role(permission="reconcile.manage"))]
StatusQuery = Annotated[Literal["matched", "waiting", "anomaly", "ignored"] | None, Query()]
Text = Annotated[str | None, Query(max_length=200)]
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor or prev_cursor of a page")]
Sort = Annotated[str | None, Query(max_length=20, description="id or amount, '-' first for descending")]
LISTS = {"lines": (LinePage, StatementLineItem), "flows": (FlowPage, FlowItem),
         "payments": (FlowPaymentPage, FlowPaymentItem)}


def _columns(text: str | None) -> dict | None:
    if not text:
        return None
    from hub.finance.formats.csv_statement import parse_columns_option
    try:
        return parse_columns_option(text)
    except (ValueError, ImportRefused) as exc:
        raise HTTPException(422, f"columns: {exc}") from None


@router.post("/imports", status_code=201, response_model=ImportResult,
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}},
             description="The file is the request body. Importing the same file again adds nothing "
                         "(already_imported). A refused file is answered 422 with where and reason.")
async def upload(request: Request, principal: Manager, db: Db, settings: HubSettings,
                 format: Annotated[Literal["auto", "fdr", "camt", "mt940", "csv"], Query()] = "auto",
                 account: Text = None, office: Text = None, columns: Text = None, file_name: Text = None):
    data = await request.body()
    if len(data) > MAX_FILE_BYTES:
        raise HTTPException(413, f"the file is {len(data)} bytes; the limit is {MAX_FILE_BYTES}")
    if not data:
        raise HTTPException(422, "the request body is empty: send the file as the body")
    try:
        outcome = await run_in_threadpool(
            imports.import_file, db, data, actor=principal.actor, fmt=format, columns=_columns(columns),
            account_iban=account, office=office, file_name=file_name,
            creditor_fiscal_code=settings.creditor_fiscal_code, scope=principal.scope,
            currency=settings.currency)
    except ImportRefused as exc:
        return JSONResponse(status_code=422, content={"detail": f"the file is refused, nothing was imported: "
                                                                f"{exc.where}: {exc.reason}",
                                                      "where": exc.where, "reason": exc.reason})
    return outcome.to_json()


@router.post("/run", response_model=RunResult)
def run(principal: Manager, db: Db) -> dict:
    return imports.run(db).to_json()


@router.get("/report", response_model=Report, description="Every line, flow and flow payment, oldest first.")
def whole_report(principal: Reader, db: Db, status: StatusQuery = None) -> dict:
    with db.connect() as conn:
        return report.report(conn, principal.scope, status)


def _list(name: str):
    def listing(principal: Reader, db: Db, status: StatusQuery = None, office: Text = None, reference: Text = None,
                sort: Sort = None, cursor: Cursor = None, limit: Limit = 100) -> dict:
        wanted = report.ReportFilter(status=status, office=office, reference=reference)
        with db.connect() as conn:
            try:
                found, items = report.page(conn, name, principal.scope, wanted, sort=sort, cursor=cursor,
                                           limit=limit)
            except PagingError as exc:
                raise HTTPException(422, str(exc)) from None
        return {"items": items, "next_cursor": found.next_cursor, "prev_cursor": found.prev_cursor}
    listing.__name__ = f"list_{name}"
    return listing


def _resolver(subject: str):
    def resolving(row_id: RowId, body: ResolveRequest, principal: Manager, db: Db) -> dict:
        with db.begin() as conn:
            return resolve(conn, subject, row_id, body.note, actor=principal.actor, scope=principal.scope)
    resolving.__name__ = f"resolve_{subject}"
    return resolving


for _name, _subject in (("lines", "line"), ("flows", "flow"), ("payments", "payment")):
    router.add_api_route(f"/{_name}", _list(_name), methods=["GET"], response_model=LISTS[_name][0],
                         description=f"A page of {_name} (keyset: next_cursor, prev_cursor), newest first; "
                                     f"status one of {', '.join(STATUSES)}; reference: a flow id, IUV or RF.")
    router.add_api_route(f"/{_name}/{{row_id}}/resolve", _resolver(_subject), methods=["POST"],
                         response_model=LISTS[_name][1],
                         description="Resolve an anomaly by hand, with a note; audited. 409 when it is no anomaly.")
