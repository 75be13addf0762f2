"""What reconciliation found, as JSON items: statement lines, flows and flow payments by status.

Every item has its `status` and `reason`; a line also what its remittance text says
(`kind`, `flow_id`, `iuv`, `reference`) and its `amount_minor`.  `report` gives the whole
lists (the CLI); `page` one keyset page of one list with filters (the API and the pages).
Office scope is applied here: a viewer sees the items of the offices it may see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from hub.finance.reconcile.status import STATUSES
from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables_reconcile import flow_payments, flows, statement_lines
from hub.users.scope import Scope

LISTS = ("lines", "flows", "payments")


def _resolution(row: dict[str, Any]) -> dict[str, Any] | None:
    if not row.get("resolved_at"):
        return None
    return {"at": row["resolved_at"], "by": row["resolved_by"], "note": row["resolution_note"]}


def line_item(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "status": row["status"], "reason": row["reason"], "kind": row["kind"],
            "flow_id": row["flow_id"], "iuv": row["iuv"], "reference": row["reference"],
            "amount_minor": row["amount_minor"], "currency": row["currency"], "credit": row["credit"],
            "reversal": row["reversal"], "booking_date": row["booking_date"], "description": row["description"],
            "bank_reference": row["bank_reference"], "office": row["office"], "account": row["account_iban"],
            "statement_id": row["statement_id"], "position": row["position"],
            "errors": json.loads(row["remittance_errors"]) if row["remittance_errors"] else [],
            "flow": row["flow_row"], "order_id": row["order_id"], "payment": row["payment_row"],
            "resolution": _resolution(row)}


def flow_item(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "status": row["status"], "reason": row["reason"], "flow_id": row["flow_id"],
            "psp_id": row["psp_id"], "psp_name": row["psp_name"], "revision": row["revision"],
            "office": row["office"], "settlement_date": row["settlement_date"],
            "settlement_ref": row["settlement_ref"], "total_count": row["total_count"],
            "amount_minor": row["total_minor"], "line": row["line_row"], "resolution": _resolution(row)}


def payment_item(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "status": row["status"], "reason": row["reason"], "flow_id": row["flow_id"],
            "psp_id": row["psp_id"], "iuv": row["iuv"], "iur": row["iur"], "index": row["payment_index"],
            "amount_minor": row["amount_minor"], "outcome": row["outcome"], "outcome_date": row["outcome_date"],
            "office": row["office"], "order_id": row["order_id"], "payment": row["payment_row"],
            "resolution": _resolution(row)}


_PAYMENTS_QUERY = (select(flow_payments, flows.c.flow_id, flows.c.psp_id)
                   .select_from(flow_payments.join(flows, flows.c.id == flow_payments.c.flow_row)))

TABLES = {"lines": (statement_lines, select(statement_lines), line_item),
          "flows": (flows, select(flows), flow_item),
          "payments": (flow_payments, _PAYMENTS_QUERY, payment_item)}

ORDERINGS = {name: Ordering(columns={"id": table.c.id, "amount": table.c.amount_minor if name != "flows"
                                     else table.c.total_minor},
                            unique=table.c.id, default=Sort("id", descending=True))
             for name, (table, _q, _i) in TABLES.items()}


@dataclass(frozen=True)
class ReportFilter:
    status: str | None = None
    office: str | None = None
    reference: str | None = None        # a flow id, IUV or RF, exactly


def _query(name: str, scope: Scope, wanted: ReportFilter):
    table, query, _item = TABLES[name]
    query = query.where(scope.filter(table.c.office))
    if wanted.status:
        if wanted.status not in STATUSES:
            raise ValueError(f"status {wanted.status!r} is unknown; expected one of {', '.join(STATUSES)}")
        query = query.where(table.c.status == wanted.status)
    if wanted.office:
        query = query.where(table.c.office == wanted.office)
    if wanted.reference:
        value = "".join(wanted.reference.split())
        if name == "lines":
            query = query.where(or_(table.c.flow_id == value, table.c.iuv == value, table.c.reference == value.upper()))
        elif name == "flows":
            query = query.where(table.c.flow_id == value)
        else:
            query = query.where(or_(table.c.iuv == value, flows.c.flow_id == value))
    return query


def report(conn: Connection, scope: Scope, status: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every line, flow and flow payment (of `status`, if given), oldest first."""
    out = {}
    for name in LISTS:
        table, _query_, item = TABLES[name]
        rows = conn.execute(_query(name, scope, ReportFilter(status)).order_by(table.c.id)).mappings()
        out[name] = [item(dict(row)) for row in rows]
    return out


def page(conn: Connection, name: str, scope: Scope, wanted: ReportFilter, *, sort: str | None = None,
         cursor: str | None = None, limit: int = 50) -> tuple[Page, list[dict[str, Any]]]:
    """One page of list `name` and its items."""
    found = fetch_page(conn, _query(name, scope, wanted), ORDERINGS[name], sort=sort, cursor=cursor, limit=limit)
    return found, [TABLES[name][2](row) for row in found.rows]


def counts(conn: Connection, scope: Scope) -> dict[str, dict[str, int]]:
    """status → how many, per list, within `scope`."""
    from sqlalchemy import func
    out = {}
    for name in LISTS:
        table = TABLES[name][0]
        rows = conn.execute(select(table.c.status, func.count()).where(scope.filter(table.c.office))
                            .group_by(table.c.status)).all()
        out[name] = {status: 0 for status in STATUSES} | dict(rows)
    return out
