"""Payment lines: one row per fee position of each payment, with net, VAT and accounting code.

Where a payment's positions come from, first that applies:

1. the positions the agent sent in the payment (code, quantity, unit price with VAT, VAT rate);
2. the fee catalogue positions its order names (orders.positions): one position takes the
   whole amount, several are priced from the catalogue;
3. none: the payment is one row without a position, VAT unknown (0, `vat_rate_bp` empty).

Positions are used only when they add up to the payment's amount, so the rows of a
payment always add up to it and a ledger built from the lines balances with the bank.
Prices include VAT: `vat_minor` = gross × rate / (1 + rate), rounded half up, and
`net_minor` = gross − VAT.  `accounting_code` and `account` come from the catalogue
position (the newest published version naming the code), read leniently: a catalogue
without them gives empty cells.  The account of a booked payment is the bank account it was booked on.

A discount the desk recorded on a position (wire `positions[].discount`) is taken off that
line's gross.  A handling fee (wire `handling_fee`) is always a row of its own after the
payment's positions: no position code, the fee's name, quantity 1, gross = net =
`handling_fee_minor` = the fee, no VAT, and its own tender (cash when the desk took it apart
from a card payment; then it is not in the payment's amount, and the payment's rows add up
to the amount plus that fee).  Every other row has `handling_fee_minor` 0.

Rows are read with a server-side cursor in the database's order (payment or booking
date, then row id) and made one cursor batch at a time: nothing accumulates beyond a batch.
For speed (issue 13: a million lines at over 50,000 rows/s) the database picks the few
body members a line needs out of the JSON, and the lines of a payment are worked out
once per distinct (amount, positions, order positions): a counter takes the same fees
over and over, so a small bounded table of them turns most payments into a lookup.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterator

from sqlalchemy import Connection, Text, cast, func, literal_column, select, union_all

from protocol.fees import vat_of as _vat_of
from hub.finance.exports.filters import ExportRequest
from hub.store.tables import catalogue_versions, orders, payments
from hub.store.tables_reconcile import flow_payments, flows, statement_lines

YIELD_PER = 2000
"""Rows fetched from the cursor at a time: large enough for speed, small enough to stay flat."""
KNOWN_LINES = 4096
"""Distinct (amount, positions, order positions) whose lines are kept; the table starts over when full."""


def catalogue_positions(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every position code of any published (or since superseded) catalogue version, the newest winning:
    a payment from last year still finds the code it was taken for."""
    found: dict[str, dict[str, Any]] = {}
    query = (select(catalogue_versions.c.document).where(catalogue_versions.c.status != "draft")
             .order_by(catalogue_versions.c.version))
    for (document,) in conn.execute(query):
        for price_list in (document or {}).get("price_lists", []):
            for position in price_list.get("positions", []):
                if isinstance(position, dict) and position.get("code"):
                    found[position["code"]] = position
    return found


def vat_of(gross: int, rate_bp: int) -> int:
    """The VAT inside a price that includes it, half up: 1000 at 2200 bp (22 %) holds 180 (protocol.fees)."""
    return _vat_of(gross, rate_bp)


def _bookings():
    """payment row → booking date and account, for payments reconciliation matched with a statement line:
    through their flow's line (pagoPA flows) or their own line (single pagoPA and RF transfers)."""
    through_flow = (select(flow_payments.c.payment_row.label("payment_row"), statement_lines.c.booking_date,
                           statement_lines.c.account_iban)
                    .join(flows, flows.c.id == flow_payments.c.flow_row)
                    .join(statement_lines, statement_lines.c.id == flows.c.line_row)
                    .where(flow_payments.c.payment_row.is_not(None), flows.c.status == "matched",
                           statement_lines.c.status == "matched"))
    own_line = (select(statement_lines.c.payment_row, statement_lines.c.booking_date, statement_lines.c.account_iban)
                .where(statement_lines.c.payment_row.is_not(None), statement_lines.c.status == "matched"))
    both = union_all(through_flow, own_line).subquery("booked")
    return (select(both.c.payment_row, func.min(both.c.booking_date).label("booking_date"),
                   func.min(both.c.account_iban).label("account"))
            .group_by(both.c.payment_row).subquery("bookings"))


def _member(key: str):
    """`body -> key` as JSON text (NULL when the body has no such member), the same SQL on SQLite and PostgreSQL:
    a large body is not decoded whole, and the text decodes in Python to exactly what the body holds."""
    return cast(payments.c.body.op("->", return_type=Text)(literal_column(f"'{key}'")), Text)


def query(request: ExportRequest):
    bookings = _bookings()
    lo, hi = request.day_bounds()
    statement = (select(payments.c.id, payments.c.payment_id, payments.c.kind, payments.c.captured_at,
                        payments.c.office, payments.c.tender, payments.c.channel, payments.c.voided_at,
                        payments.c.link_status, payments.c.linked_order_id, payments.c.linked_case_ref,
                        payments.c.case_ref, payments.c.reference_format, payments.c.reference_value,
                        payments.c.payer_name, payments.c.payer_id, payments.c.amount_minor, payments.c.currency,
                        payments.c.receipt_id, _member("positions"), _member("handling_fee"), _member("iuv"),
                        _member("account_iban"),
                        _member("psp_id"), _member("flow_id"), orders.c.positions, orders.c.iuv,
                        bookings.c.booking_date, bookings.c.account)
                 .select_from(payments.outerjoin(orders, orders.c.order_id == payments.c.linked_order_id)
                              .outerjoin(bookings, bookings.c.payment_row == payments.c.id))
                 .where(request.offices().filter(payments.c.office)))
    if request.date_by == "booking":
        statement = (statement.where(bookings.c.booking_date >= lo, bookings.c.booking_date < hi)
                     .order_by(bookings.c.booking_date, payments.c.id))
    else:
        statement = (statement.where(payments.c.captured_at >= lo, payments.c.captured_at < hi)
                     .order_by(payments.c.captured_at, payments.c.id))
    if request.tender:
        statement = statement.where(payments.c.tender == request.tender)
    if request.channel:
        statement = statement.where(payments.c.channel == request.channel)
    if request.status == "voided":
        statement = statement.where(payments.c.voided_at.is_not(None))
    elif request.status:
        statement = statement.where(payments.c.voided_at.is_(None), payments.c.link_status == request.status)
    return statement


def _entry(position: dict[str, Any]) -> tuple:
    """What a line needs of a catalogue position: name, accounting code, account, unit price, VAT rate."""
    return (position.get("name"), position.get("accounting_code"), position.get("account"),
            position.get("unit_price_minor"), position.get("vat_rate_bp", 0))


_UNKNOWN = (None, None, None, None, None)


def positions_of(amount: int, sent: Any, order_positions: str | None,
                 catalogue: dict[str, tuple]) -> list[tuple[str | None, str | None, int, int, int | None]]:
    """(code, name, quantity, gross, VAT rate) of each line of a payment; they add up to its amount.
    `sent` is the positions member of the payment's body (None without one)."""
    if sent:
        lines = []
        total = 0
        for position in sent:
            quantity = position.get("quantity", 1)
            discount = position.get("discount") or {}
            gross = quantity * position.get("unit_minor", 0) - (discount.get("amount_minor") or 0)
            total += gross
            lines.append((position.get("code"), position.get("name") or None, quantity, gross,
                          position.get("vat_rate_bp", 0)))
        if total == amount:
            return lines
    if order_positions:
        codes = Counter(code for code in order_positions.split(",") if code)
        if len(codes) == 1 and sum(codes.values()) == 1:
            code = next(iter(codes))
            known = catalogue.get(code)
            return [(code, known[0] if known else None, 1, amount, known[4] if known else None)]
        if codes and all(catalogue.get(code, _UNKNOWN)[3] is not None for code in codes):
            lines = [(code, catalogue[code][0], quantity, quantity * catalogue[code][3], catalogue[code][4])
                     for code, quantity in codes.items()]
            if sum(line[3] for line in lines) == amount:
                return lines
    return [(None, None, 1, amount, None)]


def lines_of(amount: int, sent_text: str | None, order_positions: str | None, catalogue: dict[str, tuple],
             fee_text: str | None = None, tender: str | None = None) -> tuple[tuple[int, str | None, tuple, str | None], ...]:
    """Each line of a payment as (line number, the catalogue's account, the line's cells from
    position_code to handling_fee_minor, the line's own tender or None for the payment's):
    everything about a line that its payment's own columns do not change."""
    made = []
    sent = json.loads(sent_text) if sent_text is not None else None
    fee = json.loads(fee_text) if fee_text is not None else None
    fee = fee if isinstance(fee, dict) and isinstance(fee.get("amount_minor"), int) else None
    fee_included = fee["amount_minor"] if fee and fee.get("tender") == tender else 0
    for number, (code, name, quantity, gross, rate) in enumerate(
            positions_of(amount - fee_included, sent, order_positions, catalogue), 1):
        known = catalogue.get(code, _UNKNOWN) if code else _UNKNOWN
        vat = vat_of(gross, rate) if rate else 0
        made.append((number, known[2], (code, name or known[0], known[1], quantity, gross, gross - vat, vat, rate, 0),
                     None))
    if fee:
        minor = fee["amount_minor"]
        made.append((len(made) + 1, None, (None, fee.get("name"), None, 1, minor, minor, 0, None, minor),
                     None if fee_included else fee.get("tender")))
    return tuple(made)


def _decoded(text: str | None) -> Any:
    """A body member's JSON text as Python; a plain string (the usual case) without the JSON decoder."""
    if text is None:
        return None
    if text[:1] == '"' and text[-1:] == '"' and "\\" not in text and len(text) > 1:
        return text[1:-1]
    return json.loads(text)


def batches(conn: Connection, request: ExportRequest) -> Iterator[list[tuple]]:
    """The payment lines of `request` in PAYMENT_COLUMNS order, a list per cursor batch."""
    catalogue = {code: _entry(position) for code, position in catalogue_positions(conn).items()}
    result = conn.execution_options(stream_results=True, yield_per=YIELD_PER).execute(query(request))
    account_wanted = request.account
    known_lines: dict[tuple, tuple] = {}
    for part in result.partitions():
        made: list[tuple] = []
        add = made.append
        for (row_id, payment_id, kind, captured_at, office, tender, channel, voided_at, link_status, order_id,
             linked_case_ref, case_ref, reference_format, reference, payer_name, payer_id, amount, currency,
             receipt_id, sent, fee, body_iuv, body_account, psp_id, flow_id, order_positions, order_iuv, booking_date,
             booked_account) in part:
            key = (amount, sent, order_positions, fee, tender)
            lines = known_lines.get(key)
            if lines is None:
                if len(known_lines) >= KNOWN_LINES:
                    known_lines.clear()
                lines = known_lines[key] = lines_of(amount, sent, order_positions, catalogue, fee, tender)
            iuv = order_iuv or (reference if reference_format == "pagopa" else None) or _decoded(body_iuv)
            booked_account = booked_account or _decoded(body_account)
            middle = (tender, channel, "voided" if voided_at else link_status, order_id, linked_case_ref or case_ref,
                      reference_format, reference, iuv, payer_name, payer_id)
            end = (currency, _decoded(psp_id), _decoded(flow_id), receipt_id)
            day = captured_at[:10]
            for number, catalogue_account, cells, own_tender in lines:
                account = booked_account or catalogue_account
                if account_wanted and account != account_wanted:
                    continue
                row_middle = middle if own_tender is None else (own_tender,) + middle[1:]
                add((row_id, payment_id, number, kind, day, booking_date, office, account) + row_middle + cells + end)
        if made:
            yield made


def rows(conn: Connection, request: ExportRequest) -> Iterator[tuple]:
    """The payment lines of `request`, in PAYMENT_COLUMNS order, one at a time."""
    for batch in batches(conn, request):
        yield from batch
