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

Each writer takes the rows in batches (`*_batch_chunks`; the `*_chunks` forms take single rows
and batch them): a batch is written in one call and handed on as one chunk.  CSV finds the
formula cells of a whole batch by a few substring searches of its text and makes only a batch
that has one again, row by row: almost no batch has, and a cell-by-cell look at every row
cost more than writing it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator, Sequence

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
_BARE_STARTS = tuple(start for start in FORMULA_STARTS if start != "\r")   # a cell holding CR is always quoted


def _holds_formula_cell(text: str) -> bool:
    """Whether a cell of this CSV text (whole records) begins with a formula start, bare or quoted.
    A negative number answers yes too: its batch is then made again row by row, which leaves numbers be.
    Looked for by substrings, each a C-speed scan, the rare characters first."""
    quoted = '"' in text
    for start in FORMULA_STARTS:
        if start not in text:                       # "-" (dates) and CR (line ends) always are
            continue
        if start in _BARE_STARTS and (text.startswith(start) or "," + start in text or "\n" + start in text):
            return True
        if quoted and (text.startswith('"' + start) or ',"' + start in text or '\n"' + start in text):
            return True
    return False


def _inert(row: tuple) -> tuple | list:
    """The row with every formula-like text cell prefixed; the row itself when it has none (most rows)."""
    for value in row:
        if value.__class__ is str and value[:1] in _STARTS:
            return ["'" + v if v.__class__ is str and v[:1] in _STARTS else v for v in row]
    return row


def batched(rows: Iterable[tuple], size: int = FLUSH_ROWS) -> Iterator[list[tuple]]:
    """Rows in lists of `size`."""
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def csv_batch_chunks(columns: tuple[str, ...], batches: Iterable[Sequence[tuple]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield buffer.getvalue().encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        text = buffer.getvalue()
        if _holds_formula_cell(text):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(map(_inert, batch))
            text = buffer.getvalue()
        yield text.encode("utf-8")


def csv_chunks(columns: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[bytes]:
    return csv_batch_chunks(columns, batched(rows))


def json_batch_chunks(columns: tuple[str, ...], batches: Iterable[Sequence[tuple]]) -> Iterator[bytes]:
    separator = "\n"
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    yield b"["
    for batch in batches:
        if not batch:
            continue
        text = ",\n".join([dumps(dict(zip(columns, row, strict=True))) for row in batch])
        yield (separator + text).encode("utf-8")
        separator = ",\n"
    yield b"\n]\n"


def json_chunks(columns: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[bytes]:
    return json_batch_chunks(columns, batched(rows))


def write_xlsx(path: Path, sheet: str, columns: tuple[str, ...], batches: Iterable[Sequence[tuple]]) -> int:
    """Write the workbook to `path`; returns the number of data rows."""
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    count, sheet_rows, sheets = 0, XLSX_MAX_ROWS, 0
    worksheet = None
    for row in (row for batch in batches for row in batch):
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


def xlsx_chunks(sheet: str, columns: tuple[str, ...], batches: Iterable[Sequence[tuple]]) -> Iterator[bytes]:
    """The workbook's bytes: built in a temporary file first (a zip is written whole), then read out."""
    handle, name = tempfile.mkstemp(prefix="counterpay-export-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(Path(name), sheet, columns, batches)
        with open(name, "rb") as built:
            while chunk := built.read(READ_CHUNK):
                yield chunk
    finally:
        os.unlink(name)


def chunks(fmt: str, sheet: str, columns: tuple[str, ...], batches: Iterable[Sequence[tuple]]) -> Iterator[bytes]:
    """The file's bytes in `fmt`, from the rows in batches."""
    if fmt == "xlsx":
        return xlsx_chunks(sheet, columns, batches)
    if fmt == "json":
        return json_batch_chunks(columns, batches)
    return csv_batch_chunks(columns, batches)
