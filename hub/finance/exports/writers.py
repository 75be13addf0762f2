"""The three formats an export is written in, each a generator of bytes from a generator of rows.

csv    UTF-8 without a byte order mark, RFC 4180: comma-separated, fields quoted when they
       hold a comma, a quote or a line break, quotes doubled, lines ending CRLF, one header
       row.  A text cell a spreadsheet would run as a formula (starting with = + - @, tab
       or CR) gets a leading apostrophe (hub/spreadsheet.py); numbers are written as numbers.
xlsx   one sheet named after the export, header row first, written by openpyxl's write-only
       mode into a temporary file (rows go to disk as they come) and then read back in
       chunks; past a sheet's 1,048,576 rows the export goes on in a second sheet.  Text
       cells are neutralised like CSV's (openpyxl itself would store "=…" as a formula).
json   one JSON array of objects keyed by column name, one object per line:
       `[\\n{…},\\n{…}\\n]\\n`.  A whole file is one JSON document (`json.load` reads it),
       and a line-by-line reader can take each line without its trailing comma.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from hub.spreadsheet import FORMULA_STARTS

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
FLUSH_ROWS = 500
"""Rows gathered before a chunk is handed on: fewer, larger writes, still a few tens of kB."""
XLSX_MAX_ROWS = 1_048_576
READ_CHUNK = 1 << 16


_STARTS = frozenset(FORMULA_STARTS)


def _inert(row: tuple) -> tuple | list:
    """The row with every formula-like text cell prefixed; the row itself when it has none (most rows)."""
    for value in row:
        if value.__class__ is str and value[:1] in _STARTS:
            return ["'" + v if v.__class__ is str and v[:1] in _STARTS else v for v in row]
    return row


def csv_chunks(columns: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    pending = 0
    for row in rows:
        writer.writerow(_inert(row))
        pending += 1
        if pending == FLUSH_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def json_chunks(columns: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[bytes]:
    parts = ["["]
    separator = "\n"
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for row in rows:
        parts.append(separator)
        parts.append(dumps(dict(zip(columns, row, strict=True))))
        separator = ",\n"
        if len(parts) >= 2 * FLUSH_ROWS:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append("\n]\n")
    yield "".join(parts).encode("utf-8")


def write_xlsx(path: Path, sheet: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Write the workbook to `path`; returns the number of data rows."""
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    count, sheet_rows, sheets = 0, XLSX_MAX_ROWS, 0
    worksheet = None
    for row in rows:
        if sheet_rows == XLSX_MAX_ROWS:
            sheets += 1
            worksheet = workbook.create_sheet(sheet if sheets == 1 else f"{sheet} {sheets}")
            worksheet.append(list(columns))
            sheet_rows = 1
        worksheet.append(_inert(row))
        sheet_rows += 1
        count += 1
    if worksheet is None:
        workbook.create_sheet(sheet).append(list(columns))
    workbook.save(path)
    return count


def xlsx_chunks(sheet: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[bytes]:
    """The workbook's bytes: built in a temporary file first (a zip is written whole), then read out."""
    handle, name = tempfile.mkstemp(prefix="counterpay-export-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(Path(name), sheet, columns, rows)
        with open(name, "rb") as built:
            while chunk := built.read(READ_CHUNK):
                yield chunk
    finally:
        os.unlink(name)


def chunks(fmt: str, sheet: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[bytes]:
    if fmt == "xlsx":
        return xlsx_chunks(sheet, columns, rows)
    if fmt == "json":
        return json_chunks(columns, rows)
    return csv_chunks(columns, rows)
