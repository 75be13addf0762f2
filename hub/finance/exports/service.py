"""One export, from the request to the bytes: audited first, then streamed from the cursor.

    audit(db, request, actor)                       who exported what, in the audit log
    for chunk in export_chunks(db, request): ...    the file's bytes, as they are made (a batch of rows a chunk)
    write_file(db, request, path)                   the same into a file, replaced whole

The audit row is committed before the first byte goes out, so an export cut off half-way
(a closed browser, a full disk) is still on record.  The rows are read through one
read-only connection held for the whole export: one consistent snapshot of the data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from sqlalchemy import Connection

from hub.audit.log import record
from hub.finance.exports import payments, reconciled, writers
from hub.finance.exports.columns import COLUMNS
from hub.finance.exports.filters import ExportRequest
from hub.store.db import Database

ROWS: dict[str, Callable[[Connection, ExportRequest], Iterator[tuple]]] = {
    "payments": payments.rows,
    "entries": reconciled.entries,
    "flows": reconciled.flow_rows,
    "anomalies": reconciled.anomalies,
}
BATCHES: dict[str, Callable[[Connection, ExportRequest], Iterator[list[tuple]]]] = {
    "payments": payments.batches,
}
"""Exports that make their rows a batch at a time (the big one); the others are batched as they come."""


def audit(db: Database, request: ExportRequest, actor: str, via: str) -> None:
    with db.begin() as conn:
        record(conn, actor, "export.run", f"export:{request.kind}", request.audit_details() | {"via": via})


def rows(db: Database, request: ExportRequest) -> Iterator[tuple]:
    with db.connect() as conn:
        yield from ROWS[request.kind](conn, request)


def batches(db: Database, request: ExportRequest) -> Iterator[list[tuple]]:
    """The export's rows, a list at a time, read through one connection."""
    with db.connect() as conn:
        if request.kind in BATCHES:
            yield from BATCHES[request.kind](conn, request)
        else:
            yield from writers.batched(ROWS[request.kind](conn, request))


def export_chunks(db: Database, request: ExportRequest) -> Iterator[bytes]:
    return writers.chunks(request.fmt, request.kind, COLUMNS[request.kind], batches(db, request))


def write_stream(db: Database, request: ExportRequest, out: BinaryIO) -> None:
    for chunk in export_chunks(db, request):
        out.write(chunk)


def write_file(db: Database, request: ExportRequest, path: Path) -> None:
    """Write the export to `path` through a temporary file beside it: a reader never sees half a file."""
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(handle)
    try:
        if request.fmt == "xlsx":
            writers.write_xlsx(Path(name), request.kind, COLUMNS[request.kind], batches(db, request))
        else:
            with open(name, "wb") as out:
                write_stream(db, request, out)
        os.chmod(name, 0o600)           # payer names and references: the owner's only, like the database
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
