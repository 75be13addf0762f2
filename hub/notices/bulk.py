"""Notices in bulk: one PDF per order in a zip, with postal.csv for print-and-post.

A PDF is named `<payer fiscal code>_<year>_<IUV>.pdf`, as Italian reserved areas and print
shops file them; the year is the due date's, else the order's creation's.  An order with no
IUV, or whose payer has no fiscal code, is `<order id>.pdf`.  Names keep letters, digits,
'-' and '_' only (anything else becomes '_'), and a name already in the zip gets `_2`, `_3`
before `.pdf`: two orders never overwrite each other.

postal.csv has one row per PDF, in the zip's order: file, order_id, name, address (its lines
joined by ", "), notice_code (as printed), amount (plain, '.' decimals), currency, due_date
(YYYY-MM-DD).  It is written last: the rows go to a temporary file meanwhile, so memory stays
flat however many notices; the zip itself is written beside its destination under a
temporary name and renamed only when complete.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Iterable

from sqlalchemy import Connection

from hub.audit.log import record
from hub.config import Settings
from hub.notices.content import build
from hub.notices.render import render_notice_pdf
from hub.notices.selection import Selection, listed_orders, select_orders
from hub.orders.payee import Payee, payee_of
from hub.orders.search import OrderFilter
from hub.store.db import Database
from hub.users.scope import Scope
from protocol.money import Money

POSTAL_CSV = "postal.csv"
POSTAL_COLUMNS = ("file", "order_id", "name", "address", "notice_code", "amount", "currency", "due_date")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def file_stem(order: dict[str, Any]) -> str:
    """`<payer fiscal code>_<year>_<IUV>`, or the order id; filesystem-safe but not yet unique.

    >>> file_stem({"payer_id": "RSSMRA80A01H501U", "iuv": "01000000000012345", "due_date": "2026-03-31",
    ...            "created_at": "2025-12-01T08:00:00Z", "order_id": "CP1"})
    'RSSMRA80A01H501U_2026_01000000000012345'
    >>> file_stem({"payer_id": "", "iuv": "0100", "due_date": None, "created_at": "2025-12-01", "order_id": "CP/1"})
    'CP_1'
    """
    fiscal, iuv = (order.get("payer_id") or "").strip(), (order.get("iuv") or "").strip()
    if fiscal and iuv:
        year = (order.get("due_date") or order.get("created_at") or "")[:4]
        stem = f"{fiscal}_{year}_{iuv}"
    else:
        stem = order["order_id"]
    return _UNSAFE.sub("_", stem).strip("_") or "notice"


class _Names:
    """Unique names within one zip."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def name(self, stem: str) -> str:
        candidate, n = f"{stem}.pdf", 1
        while candidate.lower() in self._taken:         # unique on case-insensitive filesystems too
            n += 1
            candidate = f"{stem}_{n}.pdf"
        self._taken.add(candidate.lower())
        return candidate


def write_zip(conn: Connection, orders: Iterable[dict[str, Any]], settings: Settings, out: BinaryIO) -> int:
    """Every order's notice into a zip written to `out`; returns how many."""
    payees: dict[str | None, Payee | None] = {}     # a handful of accounts serve thousands of orders
    names = _Names()
    written = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as rows, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        postal = csv.writer(rows)
        postal.writerow(POSTAL_COLUMNS)
        for order in orders:
            key = order.get("account_iban")
            if key not in payees:
                payees[key] = payee_of(conn, order, settings)
            payee = payees[key]
            name = names.name(file_stem(order))
            # PDFs are compressed inside already: stored, not deflated again.
            archive.writestr(name, render_notice_pdf(order, settings, payee))
            postal.writerow(_postal_row(name, order, settings, payee))
            written += 1
        rows.seek(0)
        info = zipfile.ZipInfo(POSTAL_CSV)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as entry:
            for line in rows:
                entry.write(line.encode("utf-8"))
    return written


def _postal_row(name: str, order: dict[str, Any], settings: Settings, payee: Payee | None) -> list[str]:
    notice = build(order, settings, payee, "en")
    address = ", ".join(line.strip() for line in (order.get("payer_address") or "").splitlines() if line.strip())
    amount = "" if order["amount_minor"] is None else Money(order["amount_minor"], order["currency"]).format()
    return [name, order["order_id"], order.get("payer_name") or "", address, notice.reference, amount,
            order["currency"], order.get("due_date") or ""]


def _replace(path: Path, write) -> int:
    """Run `write(file)` into a temporary file beside `path`, then rename it to `path`."""
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            written = write(out)
        os.chmod(name, 0o600)            # payers' names and addresses: the owner's only
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return written


def export_zip(db: Database, settings: Settings, selection: Selection, scope: Scope, path: Path, *,
               actor: str, via: str) -> int:
    """The selected orders' notices as a zip at `path` (`notices export`); audited; returns how many."""
    with db.connect() as conn:
        orders = select_orders(conn, order_ids=selection.order_ids, unpaid=selection.unpaid,
                               office=selection.office, due_before=selection.due_before, scope=scope)
        written = _replace(path, lambda out: write_zip(conn, orders, settings, out))
    _audit(db, actor, via, written, {"order_ids": list(selection.order_ids)[:100], "unpaid": selection.unpaid,
                                     "office": selection.office,
                                     "due_before": selection.due_before.isoformat() if selection.due_before else None})
    return written


def export_listing(db: Database, settings: Settings, listing: OrderFilter, out: BinaryIO, *, actor: str,
                   via: str) -> int:
    """The notices of every uncancelled order a console listing's filters find, as a zip into `out`."""
    with db.connect() as conn:
        written = write_zip(conn, listed_orders(conn, listing), settings, out)
    _audit(db, actor, via, written, {"q": listing.q, "status": listing.status, "office": listing.office,
                                     "due_from": listing.due_from.isoformat() if listing.due_from else None,
                                     "due_to": listing.due_to.isoformat() if listing.due_to else None})
    return written


def _audit(db: Database, actor: str, via: str, written: int, selection: dict[str, Any]) -> None:
    with db.begin() as conn:
        record(conn, actor, "notices.export", "notices", {"notices": written, "via": via} | selection)


__all__ = ["POSTAL_COLUMNS", "POSTAL_CSV", "export_listing", "export_zip", "file_stem", "write_zip"]
