"""The payments CSV export: what the search shows, streamed, UTF-8, RFC 4180.

The columns are stable (add new ones at the end, never rename or reorder): finance
spreadsheets and reconciliation scripts read them by position as well as by name.

    id, captured_at, office, agent_id, payment_id, receipt_id, kind, amount, currency,
    amount_minor, tender, reference_format, reference_value, payer_name, payer_id,
    link_status, linked_order_id, linked_case_ref, voided_at, void_reason, operator

`amount` is in major units with a '.' ('12.50'), `amount_minor` the integer minor units.
Every text cell that a spreadsheet would run as a formula is made inert (hub/spreadsheet.py).
Rows come a keyset page at a time (hub/store/paging.py), so a large export never holds the
whole result in memory.  Lines end CRLF, as RFC 4180 says.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace

from protocol.money import Money
from hub.linking.search import PaymentFilter, search_page
from hub.spreadsheet import neutralise
from hub.store.db import Database

COLUMNS = ("id", "captured_at", "office", "agent_id", "payment_id", "receipt_id", "kind", "amount", "currency",
           "amount_minor", "tender", "reference_format", "reference_value", "payer_name", "payer_id",
           "link_status", "linked_order_id", "linked_case_ref", "voided_at", "void_reason", "operator")
BATCH = 1000


def _cells(row: dict) -> list[str]:
    values = dict(row) | {"amount": Money(row["amount_minor"], row["currency"]).format()}
    return [neutralise("" if values.get(name) is None else str(values[name])) for name in COLUMNS]


def export_lines(db: Database, payment_filter: PaymentFilter) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data
    writer.writerow(COLUMNS)
    yield flush()
    batch = replace(payment_filter, limit=BATCH, cursor=None, offset=0)
    while True:
        with db.connect() as conn:
            page = search_page(conn, batch)
        for row in page.rows:
            writer.writerow(_cells(row))
        yield flush()
        if not page.next_cursor:
            return
        batch = replace(batch, cursor=page.next_cursor)
