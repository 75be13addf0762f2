"""Bulk payment orders from an XLSX workbook: its first sheet read into the CSV import's rows.

Offices fill spreadsheets, so the import takes the workbook as it is: the first row is the
header (the CSV import's column names), every further row an order; the line number of a
bad row is the spreadsheet's row number.  Cells become the text a person sees: a number
12.5 becomes '12.5', a whole number 1200 '1200', a date cell '2025-06-30'.  Validation,
office scope and all-or-nothing are the CSV import's own (hub/orders/csv_import.py).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Connection

from hub.config import Settings
from hub.orders.csv_import import CsvImportError, RowError, import_requests, parse_records
from hub.reasons import Reason
from hub.users.scope import Scope

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """(header, [(row number, header name → cell text)]) of the workbook's first sheet."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CsvImportError([RowError(1, [Reason("orders.reason.not_xlsx", "the file is not an XLSX workbook ({detail}); "
                                                  "save it as .xlsx", detail=str(exc)[:200])])]) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header_cells = next(rows, None)
        if header_cells is None:
            return [], []
        width = max((i + 1 for i, cell in enumerate(header_cells) if cell not in (None, "")), default=0)
        header = [_text(cell).strip() for cell in header_cells[:width]]
        records = []
        for number, cells in enumerate(rows, start=2):
            cells = list(cells)
            row: dict[str, Any] = {name: _text(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)}
            extra = [cell for cell in cells[width:] if cell not in (None, "")]
            if extra:
                row[None] = extra
            records.append((number, row))
        return header, records
    finally:
        workbook.close()


def import_xlsx(conn: Connection, data: bytes, settings: Settings, actor: str, signing_key=None, *,
                scope: Scope | None = None) -> list[dict]:
    """Create every order of the workbook in the caller's transaction, or raise CsvImportError."""
    header, records = read_rows(data)
    if not header:
        raise CsvImportError([RowError(1, [Reason("orders.reason.sheet_empty", "the sheet is empty: a header row is expected")])])
    parsed, row_errors = parse_records(header, records, settings)
    return import_requests(conn, parsed, row_errors, settings, actor, signing_key, scope=scope)
