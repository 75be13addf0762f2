"""Entries, flows and anomalies: what reconciliation found, read for accounting.

`entries` are the accounting entries (*reversali*) reconciliation makes: one per
statement line it matched.  A line that pays a pagoPA flow is one entry for the whole
flow, with how many payments the flow settles and how many of them reached an order
(`status` complete when all did, incomplete while some wait or are anomalies); a single
pagoPA transfer (/RFS, /RFB) or an RF transfer is an entry for one payment.  Its payment
date is the flow's settlement date, or the line's value date (booking date when none).

`flows`: every imported reporting flow revision with its status and reason, and the
booking date and account of the line that pays it once matched.

`anomalies`: every statement line, flow and flow payment in status anomaly, with its
reason code (hub/finance/reconcile/status.py); lines first, then flows, then flow
payments, each by date.  A resolved anomaly is not listed: its status is `ignored`, reason `resolved`.
"""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import Connection, case, false, func, literal_column, null, select

from hub.finance.exports.filters import ExportRequest
from hub.finance.exports.payments import YIELD_PER
from hub.store.tables_reconcile import flow_payments, flows, statement_lines

PAGOPA_CURRENCY = "EUR"       # pagoPA settles in euro only
_CHANNEL_KINDS = {"pagopa": ("pagopa-flow", "pagopa-single"), "bank": ("rf",), "counter": ()}


def _counts():
    matched = func.sum(case((flow_payments.c.status == "matched", 1), else_=0))
    return (select(flow_payments.c.flow_row, func.count().label("n"), matched.label("matched"))
            .group_by(flow_payments.c.flow_row).subquery("counts"))


def _stream(conn: Connection, statement) -> Iterator:
    return iter(conn.execution_options(stream_results=True, yield_per=YIELD_PER).execute(statement))


def _period(statement, request: ExportRequest, payment_date, booking_date):
    lo, hi = request.day_bounds()
    column = booking_date if request.date_by == "booking" else payment_date
    return statement.where(column >= lo, column < hi).order_by(column)


def entries(conn: Connection, request: ExportRequest) -> Iterator[tuple]:
    counts = _counts()
    lines, paid = statement_lines, flows
    payment_date = func.coalesce(paid.c.settlement_date, lines.c.value_date, lines.c.booking_date)
    statement = (select(lines.c.id, lines.c.kind, lines.c.booking_date, lines.c.value_date, lines.c.office,
                        lines.c.account_iban, lines.c.amount_minor, lines.c.currency, lines.c.flow_id,
                        paid.c.psp_id, paid.c.psp_name, paid.c.settlement_ref, paid.c.settlement_date,
                        counts.c.n, counts.c.matched, lines.c.order_id, lines.c.iuv, lines.c.reference,
                        lines.c.statement_id, lines.c.bank_reference, lines.c.flow_row, lines.c.payment_row)
                 .select_from(lines.outerjoin(paid, paid.c.id == lines.c.flow_row)
                              .outerjoin(counts, counts.c.flow_row == paid.c.id))
                 .where(lines.c.status == "matched", request.offices().filter(lines.c.office)))
    if request.account:
        statement = statement.where(lines.c.account_iban == request.account)
    if request.channel:
        kinds = _CHANNEL_KINDS[request.channel]
        statement = statement.where(lines.c.kind.in_(kinds) if kinds else false())
    statement = _period(statement, request, payment_date, lines.c.booking_date).order_by(lines.c.id)
    for row in _stream(conn, statement):
        if row.flow_row is not None:
            count, matched = row.n or 0, row.matched or 0
        else:
            count, matched = 1, 1 if row.payment_row is not None else 0
        status = "complete" if matched == count else "incomplete"
        if request.status and status != request.status:
            continue
        yield (row.id, row.kind, row.booking_date, row.value_date, row.office, row.account_iban, row.amount_minor,
               row.currency, row.flow_id, row.psp_id, row.psp_name, row.settlement_ref, row.settlement_date,
               count, matched, row.order_id, row.iuv, row.reference, row.statement_id, row.bank_reference, status)


def flow_rows(conn: Connection, request: ExportRequest) -> Iterator[tuple]:
    counts = _counts()
    line = statement_lines
    statement = (select(flows, counts.c.matched, line.c.booking_date, line.c.account_iban, line.c.id.label("entry"))
                 .select_from(flows.outerjoin(line, (line.c.id == flows.c.line_row) & (line.c.status == "matched"))
                              .outerjoin(counts, counts.c.flow_row == flows.c.id))
                 .where(request.offices().filter(flows.c.office)))
    if request.status:
        statement = statement.where(flows.c.status == request.status)
    if request.account:
        statement = statement.where(line.c.account_iban == request.account)
    statement = _period(statement, request, flows.c.settlement_date, line.c.booking_date).order_by(flows.c.id)
    for row in _stream(conn, statement):
        yield (row.id, row.office, row.flow_id, row.psp_id, row.psp_name, row.bic, row.revision, row.settlement_ref,
               row.settlement_date, row.creditor_id, row.creditor_name, row.total_count, row.total_minor,
               row.matched or 0, PAGOPA_CURRENCY, row.status, row.reason, row.booking_date, row.account_iban,
               row.entry, row.imported_at, row.resolved_at, row.resolved_by)


def anomalies(conn: Connection, request: ExportRequest) -> Iterator[tuple]:
    line = statement_lines
    lines_query = (select(literal_column("'line'").label("subject"), line.c.id, line.c.office, line.c.booking_date.label("day"),
                          line.c.booking_date, line.c.account_iban, line.c.amount_minor, line.c.currency,
                          line.c.flow_id, null().label("psp_id"), line.c.iuv, line.c.reference,
                          line.c.order_id, line.c.status, line.c.reason, line.c.description)
                   .where(line.c.status == "anomaly", request.offices().filter(line.c.office)))
    if request.account:
        lines_query = lines_query.where(line.c.account_iban == request.account)
    lines_query = _period(lines_query, request, line.c.booking_date, line.c.booking_date).order_by(line.c.id)

    paying = line.alias("paying")
    flow_join = flows.outerjoin(paying, paying.c.id == flows.c.line_row)
    flows_query = (select(literal_column("'flow'").label("subject"), flows.c.id, flows.c.office,
                          flows.c.settlement_date.label("day"), paying.c.booking_date, paying.c.account_iban,
                          flows.c.total_minor, literal_column(f"'{PAGOPA_CURRENCY}'").label("currency"), flows.c.flow_id,
                          flows.c.psp_id, null().label("iuv"), flows.c.settlement_ref,
                          null().label("order_id"), flows.c.status, flows.c.reason,
                          flows.c.psp_name.label("description"))
                   .select_from(flow_join).where(flows.c.status == "anomaly", request.offices().filter(flows.c.office)))
    if request.account:
        flows_query = flows_query.where(paying.c.account_iban == request.account)
    flows_query = _period(flows_query, request, flows.c.settlement_date, paying.c.booking_date).order_by(flows.c.id)

    fp = flow_payments
    payments_query = (select(literal_column("'payment'").label("subject"), fp.c.id, fp.c.office, fp.c.outcome_date.label("day"),
                             paying.c.booking_date, paying.c.account_iban, fp.c.amount_minor,
                             literal_column(f"'{PAGOPA_CURRENCY}'").label("currency"), flows.c.flow_id, flows.c.psp_id, fp.c.iuv,
                             fp.c.iur, fp.c.order_id, fp.c.status, fp.c.reason, null().label("description"))
                      .select_from(fp.join(flows, flows.c.id == fp.c.flow_row).outerjoin(
                          paying, (paying.c.id == flows.c.line_row) & (paying.c.status == "matched")))
                      .where(fp.c.status == "anomaly", request.offices().filter(fp.c.office)))
    if request.account:
        payments_query = payments_query.where(paying.c.account_iban == request.account)
    payments_query = _period(payments_query, request, fp.c.outcome_date, paying.c.booking_date).order_by(fp.c.id)

    for statement in (lines_query, flows_query, payments_query):
        for row in _stream(conn, statement):
            yield tuple(row)
