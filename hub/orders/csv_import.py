"""Bulk payment orders from CSV (and XLSX, read into the same rows: hub/orders/xlsx_import.py): all rows or none.

Header (names, any order; only `amount` or `amount_minor` is needed for a fixed order):

    case_ref,payer_name,payer_id,payer_email,payer_language,payer_address,amount,currency,amount_kind,
    reference_format,description,due_date,positions,office,account

`amount` is written as people write it ('12.50', '1 234,56'); `amount_minor` is
integer minor units; `positions` is fee catalogue codes separated by spaces; `office` the
office the order belongs to (an importer scoped to offices may name only theirs, and an
empty cell takes the importer's office when they have exactly one); `account` the IBAN of
the office's bank account it is paid into (empty: the one its positions name, if any);
`payer_email`, `payer_language` (en, it, pl, lv, el) and `payer_address` how its notice
reaches the payer.
Every bad row is reported with its line number (the header is line 1) and every reason; if
any row is bad nothing is created.  A reason is a `Reason` (hub/reasons.py): English in the
API's JSON and the CLI, in the reader's language on the page.

Free-text cells (case_ref, payer_name, payer_id, payer_address, description) that a spreadsheet would
run as a formula are stored made inert (hub.spreadsheet): they travel on to notices,
case systems and whatever exports them again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from protocol.money import Money, MoneyError
from hub.audit.log import record
from hub.config import Settings
from hub.errors import InvalidInput
from hub.catalogue import service as catalogue
from hub.orders.model import OrderRequest
from hub.orders.paid_into import AccountRefused, order_account
from hub.orders.service import insert_order, order_columns, unknown_positions
from hub.reasons import Reason, from_validation
from hub.spreadsheet import neutralise
from hub.users.scope import Scope

COLUMNS = ("case_ref", "payer_name", "payer_id", "payer_email", "payer_language", "payer_address", "amount",
           "amount_minor", "currency", "amount_kind", "reference_format", "description", "due_date", "positions",
           "office", "account")
MAX_ROWS = 50_000


@dataclass
class RowError:
    line: int
    errors: list[Reason]

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "errors": self.errors}


class CsvImportError(ValueError, InvalidInput):
    def __init__(self, row_errors: list[RowError]):
        super().__init__(f"{len(row_errors)} bad rows; nothing was imported")
        self.row_errors = row_errors

    def body(self) -> dict[str, Any]:
        return {"detail": str(self), "row_errors": [e.to_json() for e in self.row_errors]}


def _request(row: dict[str, str], settings: Settings) -> tuple[OrderRequest | None, list[Reason]]:
    errors: list[Reason] = []
    data: dict[str, Any] = {}
    currency = (row.get("currency") or settings.currency).strip().upper()
    data["currency"] = currency
    for name in ("case_ref", "description", "due_date", "amount_kind", "reference_format", "office", "account"):
        if (row.get(name) or "").strip():
            data[name] = row[name].strip()
    for name in ("case_ref", "description"):
        if name in data:
            data[name] = neutralise(data[name])
    payer = {k: neutralise(row[f"payer_{k}"].strip()) for k in ("name", "id", "email", "language", "address")
             if (row.get(f"payer_{k}") or "").strip()}
    if payer:
        data["payer"] = payer
    if (row.get("positions") or "").strip():
        data["positions"] = row["positions"].split()
    amount, minor = (row.get("amount") or "").strip(), (row.get("amount_minor") or "").strip()
    if amount and minor:
        errors.append(Reason("orders.reason.amount_twice", "give either amount or amount_minor, not both"))
    elif minor:
        if minor.isdigit():
            data["amount_minor"] = int(minor)
        else:
            errors.append(Reason("orders.reason.minor_not_whole", "{value} is not a whole number of minor units",
                                 field="amount_minor", value=minor))
    elif amount:
        try:
            data["amount_minor"] = Money.parse(amount, currency).minor
        except MoneyError:
            errors.append(Reason("orders.reason.money", "{value} is not an amount in {currency}: write it like "
                                 "12.34 or 12,34", field="amount", value=amount[:40], currency=currency))
    if errors:
        return None, errors
    try:
        return OrderRequest.model_validate(data), []
    except ValidationError as exc:
        return None, from_validation(exc)


def parse_rows(text: str, settings: Settings) -> tuple[list[tuple[int, OrderRequest]], list[RowError]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return [], [RowError(1, [Reason("orders.reason.file_empty", "the file is empty: a header line is expected")])]
    reader.fieldnames = [name.strip() for name in reader.fieldnames]

    def records():
        for row in reader:
            yield reader.line_num, row
    return parse_records(reader.fieldnames, records(), settings)


def parse_records(header: list[str], records: Iterable[tuple[int, dict[str, Any]]],
                  settings: Settings) -> tuple[list[tuple[int, OrderRequest]], list[RowError]]:
    """Validate rows (line number, header name → cell) of a CSV or a spreadsheet alike."""
    header = [(name or "").strip() for name in header]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        return [], [RowError(1, [Reason("orders.reason.unknown_columns", "unknown columns {columns}; expected some of "
                                        "{expected}", columns=", ".join(unknown), expected=", ".join(COLUMNS))])]
    requests, row_errors = [], []
    for line, row in records:
        if len(requests) + len(row_errors) >= MAX_ROWS:
            row_errors.append(RowError(line, [Reason("orders.reason.too_many_rows", "more than {max} rows; split the file",
                                                     max=MAX_ROWS)]))
            break
        if None in row:
            row_errors.append(RowError(line, [Reason("orders.reason.extra_fields", "{count} more fields than the header has",
                                                     count=len(row[None]))]))
            continue
        if not any((value or "").strip() for value in row.values()):
            continue
        request, errors = _request(row, settings)
        if errors:
            row_errors.append(RowError(line, errors))
        else:
            requests.append((line, request))
    if not requests and not row_errors:
        row_errors.append(RowError(1, [Reason("orders.reason.no_rows", "the file has a header but no rows")]))
    return requests, row_errors


def _office_errors(request: OrderRequest, scope: Scope) -> tuple[OrderRequest, list[Reason]]:
    """The request with the importer's one office filled in, or why its office is refused."""
    if request.office is None and scope.offices is not None and len(scope.offices) == 1:
        request = request.model_copy(update={"office": next(iter(scope.offices))})
    if request.office is None and not scope.is_everything:
        return request, [Reason("orders.reason.office_missing", "name one of your offices ({offices})", field="office",
                                offices=scope.describe())]
    if not scope.allows(request.office):
        return request, [Reason("orders.reason.office_not_yours", "{office} is not one of your offices ({offices})",
                                field="office", office=request.office, offices=scope.describe())]
    return request, []


def import_orders(conn: Connection, text: str, settings: Settings, actor: str, signing_key=None, *,
                  scope: Scope | None = None) -> list[dict]:
    """Create every order of the CSV in the caller's transaction, or raise CsvImportError."""
    return import_requests(conn, *parse_rows(text, settings), settings, actor, signing_key, scope=scope)


def import_requests(conn: Connection, parsed: list[tuple[int, OrderRequest]], row_errors: list[RowError],
                    settings: Settings, actor: str, signing_key=None, *, scope: Scope | None = None) -> list[dict]:
    """Create every parsed order, or none when any row (parsed or not) is bad: raises CsvImportError."""
    scope = scope or Scope.everything()
    requests = []
    documents: dict[str | None, dict | None] = {}     # by office: its own price lists and the shared ones
    for line, request in parsed:
        request, errors = _office_errors(request, scope)
        if errors:
            row_errors.append(RowError(line, errors))
            continue
        requests.append((line, request))
        if request.positions and request.office not in documents:
            documents[request.office] = catalogue.effective(conn, request.office)
        document = documents.get(request.office)
        unknown = unknown_positions(conn, request.positions, document)
        if unknown:
            row_errors.append(RowError(line, [Reason("orders.reason.positions_unknown",
                                                     "positions {codes} are not in the published fee catalogue",
                                                     codes=", ".join(unknown))]))
            continue
        try:
            order_account(conn, {"account_iban": request.account, "office": request.office}, document,
                          request.positions)
        except AccountRefused as exc:
            # The reason beside its column, as the row's other reasons are.
            row_errors.append(RowError(line, [exc.reason.at("account")]))
    if row_errors:
        raise CsvImportError(sorted(row_errors, key=lambda e: e.line))
    created = [insert_order(conn, order_columns(request, settings, actor), settings, signing_key)
               for _, request in requests]
    record(conn, actor, "order.import", "orders", {"count": len(created),
                                                   "first": created[0]["order_id"], "last": created[-1]["order_id"]})
    return created
