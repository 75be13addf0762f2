"""One reconciliation run: give every open line, flow and flow payment its status, in one transaction.

    statement line  ↔ flow        the line names the flow id; its amount is the flow's total
    flow payment    ↔ order       by IUV; it becomes a pagoPA payment of that order
    single line     ↔ order       /RFS, /RFB: by IUV; a pagoPA payment
    RF line         ↔ order       by RF (orders of reference format rf); a bank payment

A run looks again at every item still `waiting` or in `anomaly` that nobody resolved,
so what waited for its other half is matched by the first run after that half arrives,
and an anomaly whose cause went away (the order was created) clears.  Matched and
ignored items stay as they are, which makes a second run change nothing: idempotent, and
cheap however much history there is.  One exception: a matched pagoPA item whose notice
a counter has been paid for since is looked at again, and is `paid_twice` (external.py).  The one way back: a later revision of a flow
supersedes the earlier (`ignored`, `superseded`), and the line that paid the earlier one
is looked at again against the new.

Everything is read and written in bulk: a run of 100,000 lines and 100,000 flow payments
is a few dozen statements (bench/reconcile.py), whose values travel as one parameter
each (hub.store.sets); only rows whose status, reason or links change are written.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, exists, func, select

from hub.finance.reconcile import status as st
from hub.finance.reconcile.external import CHUNK, OrderBook, PaymentMaker, Source, _chunks
from hub.finance.reconcile.keys import BANK_AGENT, PAGOPA_AGENT, flow_payment_id, line_payment_id
from hub.store import locks
from hub.store.sets import fetch_dicts, one_of, update_by_id
from hub.store.tables import payments
from hub.store.tables_reconcile import flow_payments, flows, statement_lines

RUN_LOCK = "reconciliation"     # one run at a time across hub processes (hub/store/locks.py)


@dataclass
class RunOutcome:
    lines: Counter = field(default_factory=Counter)          # status → how many, after the run
    flows: Counter = field(default_factory=Counter)
    payments: Counter = field(default_factory=Counter)       # flow payments
    changed: int = 0                                         # items whose status or reason changed
    payments_made: int = 0                                   # payments stored (and confirmations queued)

    def to_json(self) -> dict[str, Any]:
        return {"lines": dict(self.lines), "flows": dict(self.flows), "payments": dict(self.payments),
                "changed": self.changed, "payments_made": self.payments_made}


class _Changes:
    """The new values of the rows of one table, written only where they differ from what was read."""

    def __init__(self, table, columns: tuple[str, ...]) -> None:
        self.table, self.columns = table, columns
        self.before: dict[int, dict[str, Any]] = {}
        self.after: dict[int, dict[str, Any]] = {}

    def read(self, row: dict[str, Any]) -> None:
        self.before[row["id"]] = {c: row[c] for c in self.columns}

    def set(self, row_id: int, **values: Any) -> None:
        self.after.setdefault(row_id, dict(self.before[row_id])).update(values)

    def write(self, conn: Connection) -> int:
        rows = [(row_id, *(values[c] for c in self.columns))
                for row_id, values in self.after.items() if values != self.before[row_id]]
        update_by_id(conn, self.table, self.columns, rows)
        return len(rows)


def _open(table):
    return table.c.status.in_(st.OPEN) & table.c.resolved_at.is_(None)


def _supersede(conn: Connection) -> None:
    """Earlier revisions of a flow that has a newer one open are `ignored`, `superseded`;
    the lines that paid them are opened again, to be matched with the newer revision."""
    # Only a flow with another row of its key can have an earlier revision: asking for those
    # (by the flows' key index) spares reading every open flow's group when none has one.
    other = flows.alias("other")
    revised = exists().where(other.c.flow_id == flows.c.flow_id, other.c.office == flows.c.office,
                             other.c.psp_id == flows.c.psp_id, other.c.id != flows.c.id)
    groups = set(conn.execute(select(flows.c.office, flows.c.flow_id, flows.c.psp_id)
                              .where(and_(_open(flows), revised))).all())
    if not groups:
        return
    by_group: dict[tuple, list] = defaultdict(list)
    for chunk in _chunks({g[1] for g in groups}):
        query = select(flows.c.id, flows.c.office, flows.c.flow_id, flows.c.psp_id, flows.c.revision,
                       flows.c.reason, flows.c.resolved_at).where(one_of(conn, flows.c.flow_id, chunk))
        for row in fetch_dicts(conn, query):
            key = (row["office"], row["flow_id"], row["psp_id"])
            if key in groups:
                by_group[key].append(row)
    old = []
    for rows in by_group.values():
        latest = max(r["revision"] for r in rows)
        old.extend(r["id"] for r in rows if r["revision"] != latest and r["reason"] != st.SUPERSEDED
                   and r["resolved_at"] is None)
    for chunk in _chunks(old):
        conn.execute(flows.update().where(one_of(conn, flows.c.id, chunk))
                     .values(status=st.IGNORED, reason=st.SUPERSEDED))
        conn.execute(flow_payments.update().where(one_of(conn, flow_payments.c.flow_row, chunk),
                                                  flow_payments.c.resolved_at.is_(None))
                     .values(status=st.IGNORED, reason=st.SUPERSEDED))
        conn.execute(statement_lines.update().where(one_of(conn, statement_lines.c.flow_row, chunk),
                                                    statement_lines.c.resolved_at.is_(None))
                     .values(status=st.WAITING, reason=st.NOT_RUN, flow_row=None))


def _flows_named(conn: Connection, flow_ids: set[str]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(office, flow id) → its flows' current revisions (superseded ones left out)."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(flow_ids):
        query = select(flows.c.id, flows.c.office, flows.c.flow_id, flows.c.total_minor, flows.c.status,
                       flows.c.line_row).where(one_of(conn, flows.c.flow_id, chunk), flows.c.reason != st.SUPERSEDED)
        for row in fetch_dicts(conn, query.order_by(flows.c.id)):
            found[(row["office"], row["flow_id"])].append(row)
    return found


def _match_flow_lines(conn: Connection, flow_lines: list[dict[str, Any]], lines: _Changes,
                      flow_state: dict[int, tuple[str, str, int]]) -> None:
    named = _flows_named(conn, {line["flow_id"] for line in flow_lines})
    claimed = {f["id"]: f["line_row"] for group in named.values() for f in group
               if f["status"] == st.MATCHED and f["line_row"] is not None}
    for line in flow_lines:
        candidates = named.get((line["office"], line["flow_id"]), [])
        if not candidates:
            lines.set(line["id"], status=st.WAITING, reason=st.FLOW_NOT_ARRIVED, flow_row=None)
            continue
        free = [f for f in candidates if claimed.get(f["id"], line["id"]) == line["id"]]
        pick = next((f for f in free if f["total_minor"] == line["amount_minor"]), (free or candidates)[0])
        if claimed.get(pick["id"], line["id"]) != line["id"]:
            lines.set(line["id"], status=st.ANOMALY, reason=st.DUPLICATE, flow_row=pick["id"])
        elif pick["total_minor"] == line["amount_minor"]:
            lines.set(line["id"], status=st.MATCHED, reason=st.PAYS_FLOW, flow_row=pick["id"])
            claimed[pick["id"]] = line["id"]
            flow_state[pick["id"]] = (st.MATCHED, st.PAID_BY_LINE, line["id"])
        else:
            lines.set(line["id"], status=st.ANOMALY, reason=st.AMOUNT_DIFFERS, flow_row=pick["id"])
            flow_state.setdefault(pick["id"], (st.ANOMALY, st.AMOUNT_DIFFERS, line["id"]))


def _settle_flows(conn: Connection, flow_state: dict[int, tuple[str, str, int]]) -> _Changes:
    """Open flows (and those a line just paid) get their status; a flow whose payments do not
    add up to its total is an anomaly whatever the bank says."""
    changes = _Changes(flows, ("status", "reason", "line_row"))
    query = select(flows.c.id, flows.c.status, flows.c.reason, flows.c.line_row, flows.c.total_minor,
                   flows.c.total_count, flows.c.resolved_at)
    rows = fetch_dicts(conn, query.where(_open(flows), flows.c.reason != st.SUPERSEDED))
    seen = {r["id"] for r in rows}
    for chunk in _chunks(set(flow_state) - seen):
        rows.extend(fetch_dicts(conn, query.where(one_of(conn, flows.c.id, chunk))))
    rows = [r for r in rows if r["resolved_at"] is None]
    sums: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(r["id"] for r in rows):
        query_sums = (select(flow_payments.c.flow_row, func.count(), func.sum(flow_payments.c.amount_minor))
                      .where(one_of(conn, flow_payments.c.flow_row, chunk)).group_by(flow_payments.c.flow_row))
        sums.update({row_id: (count, total or 0) for row_id, count, total in conn.execute(query_sums).all()})
    for row in rows:
        changes.read(row)
        status, reason, line_row = flow_state.get(row["id"], (st.WAITING, st.LINE_NOT_ARRIVED, row["line_row"]))
        if row["status"] == st.MATCHED and row["id"] not in flow_state:
            continue                     # paid by a line before: stays matched
        if sums.get(row["id"], (0, 0)) != (row["total_count"], row["total_minor"]):
            status, reason = st.ANOMALY, st.TOTAL_DIFFERS
        changes.set(row["id"], status=status, reason=reason, line_row=line_row)
    return changes


def _paid_at_counter(order_column):
    """A live counter payment of the order `order_column` names (hub.ingest stores those)."""
    return exists().where(payments.c.linked_order_id == order_column, payments.c.channel == "counter",
                          payments.c.kind == "payment", payments.c.voided_at.is_(None))


def _paid_twice_since(table):
    """Matched pagoPA items (flow payments, single-payment lines) whose notice a counter has
    also been paid for since they were matched: looked at again, to be the anomaly `paid_twice`.
    Searched from the matched items through ix_payments_order, so orders paid only once cost
    one index probe each."""
    where = [table.c.status == st.MATCHED, table.c.resolved_at.is_(None), table.c.order_id.is_not(None),
             _paid_at_counter(table.c.order_id)]
    if table is statement_lines:
        where.append(table.c.kind == "pagopa-single")
    return and_(*where)


def _flow_payment_rows(conn: Connection) -> list[dict[str, Any]]:
    rows = []
    for which in (_open(flow_payments), _paid_twice_since(flow_payments)):
        rows.extend(_flow_payment_rows_where(conn, which))
    return rows


def _flow_payment_rows_where(conn: Connection, which) -> list[dict[str, Any]]:
    query = (select(flow_payments.c.id, flow_payments.c.office, flow_payments.c.iuv, flow_payments.c.iur,
                    flow_payments.c.payment_index, flow_payments.c.amount_minor, flow_payments.c.outcome,
                    flow_payments.c.outcome_date, flow_payments.c.status, flow_payments.c.reason,
                    flow_payments.c.order_id, flow_payments.c.payment_row, flows.c.flow_id, flows.c.psp_id,
                    flows.c.psp_name)
             .select_from(flow_payments.join(flows, flows.c.id == flow_payments.c.flow_row))
             .where(which, flows.c.reason != st.SUPERSEDED).order_by(flow_payments.c.id))
    return fetch_dicts(conn, query)


def _flow_payment_source(fp: dict[str, Any]) -> Source:
    return Source(PAGOPA_AGENT, flow_payment_id(fp["office"], fp["flow_id"], fp["psp_id"], fp["iuv"], fp["iur"],
                                                fp["payment_index"]),
                  "pagopa", fp["office"], fp["amount_minor"], "EUR", fp["outcome_date"], fp["iur"],
                  "pagopa", fp["iuv"],
                  {"psp_id": fp["psp_id"], "psp_name": fp["psp_name"], "flow_id": fp["flow_id"], "iuv": fp["iuv"],
                   "iur": fp["iur"], "index": fp["payment_index"]})


def _line_source(line: dict[str, Any]) -> Source:
    pagopa = line["kind"] == "pagopa-single"
    return Source(PAGOPA_AGENT if pagopa else BANK_AGENT, line_payment_id(line["line_key"]),
                  "pagopa" if pagopa else "bank", line["office"], line["amount_minor"], line["currency"],
                  line["booking_date"], line["bank_reference"] or line["line_key"],
                  "pagopa" if pagopa else "rf", line["iuv"] if pagopa else line["reference"],
                  {"account_iban": line["account_iban"], "bank_reference": line["bank_reference"],
                   "statement_line": line["id"]},
                  payer_name=(line["counterparty"] or None) and line["counterparty"][:200])


_LINE_COLUMNS = ("status", "reason", "flow_row", "order_id", "payment_row")


# What a run reads of a line (not its description, errors, import or resolution: most of a row's bytes).
_LINE_READ = [statement_lines.c[name] for name in (
    "id", "line_key", "office", "account_iban", "booking_date", "amount_minor", "currency", "credit", "reversal",
    "bank_reference", "counterparty", "kind", "flow_id", "iuv", "reference", "remittance_amount_minor",
    *_LINE_COLUMNS)]


@contextmanager
def _cycles_collected_after():
    """Python's cycle collector paused for the run: the run holds a million small objects
    (rows, changes, payments, payloads), none of them in a cycle, and each collection walked
    them all again (a quarter of a 100,000-line run).  Collected once the run is over."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def run(conn: Connection) -> RunOutcome:
    """Match everything open, in the caller's transaction."""
    with _cycles_collected_after():
        return _run(conn)


def _run(conn: Connection) -> RunOutcome:
    locks.transaction_lock(conn, RUN_LOCK)
    _supersede(conn)
    lines = _Changes(statement_lines, _LINE_COLUMNS)
    open_lines = [*fetch_dicts(conn, select(*_LINE_READ).where(_open(statement_lines)).order_by(statement_lines.c.id)),
                  *fetch_dicts(conn, select(*_LINE_READ).where(_paid_twice_since(statement_lines))
                               .order_by(statement_lines.c.id))]
    flow_lines, order_lines = [], []
    for line in open_lines:
        lines.read(line)
        if not line["credit"]:
            lines.set(line["id"], status=st.IGNORED, reason=st.DEBIT)
        elif line["reversal"]:
            lines.set(line["id"], status=st.IGNORED, reason=st.REVERSAL)
        elif line["kind"] == "pagopa-flow":
            if line["flow_id"]:
                flow_lines.append(line)
            else:
                lines.set(line["id"], status=st.ANOMALY, reason=st.TRUNCATED_ID)
        elif line["kind"] in ("pagopa-single", "rf"):
            order_lines.append(line)
        else:
            lines.set(line["id"], status=st.IGNORED, reason=st.NOT_OURS)
    flow_state: dict[int, tuple[str, str, int]] = {}
    _match_flow_lines(conn, flow_lines, lines, flow_state)
    flow_changes = _settle_flows(conn, flow_state)

    fps = _Changes(flow_payments, ("status", "reason", "order_id", "payment_row"))
    fp_rows = _flow_payment_rows(conn)
    book = OrderBook()
    book.load(conn, [fp["iuv"] for fp in fp_rows] + [x["iuv"] for x in order_lines if x["kind"] == "pagopa-single"
                                                      and x["iuv"]],
              [x["reference"] for x in order_lines if x["kind"] == "rf" and x["reference"]])
    found = {}
    for fp in fp_rows:
        fps.read(fp)
        found[("fp", fp["id"])] = book.by_iuv(fp["office"], fp["iuv"])
    for line in order_lines:
        found[("line", line["id"])] = (book.by_iuv(line["office"], line["iuv"]) if line["kind"] == "pagopa-single"
                                       else book.by_rf(line["office"], line["reference"]))
    maker = PaymentMaker(conn)
    sources = {("fp", fp["id"]): _flow_payment_source(fp) for fp in fp_rows}
    sources.update({("line", x["id"]): _line_source(x) for x in order_lines})
    maker.prefetch([(s.agent_id, s.payment_id) for s in sources.values()],
                   {o["order_id"] for o in found.values() if o})
    settled: list[tuple[_Changes, int, Source]] = []
    for fp in fp_rows:
        order = found[("fp", fp["id"])]
        if fp["outcome"] == 3:
            fps.set(fp["id"], status=st.ANOMALY, reason=st.REVOKED_PAYMENT)
        elif order is None:
            fps.set(fp["id"], status=st.ANOMALY, reason=st.UNKNOWN_IUV, order_id=None)
        else:
            source = sources[("fp", fp["id"])]
            status, reason = maker.settle(source, order, once=True)
            fps.set(fp["id"], status=status, reason=reason, order_id=order["order_id"])
            settled.append((fps, fp["id"], source))
    for line in order_lines:
        order, single = found[("line", line["id"])], line["kind"] == "pagopa-single"
        if single and line["remittance_amount_minor"] not in (None, line["amount_minor"]):
            lines.set(line["id"], status=st.ANOMALY, reason=st.AMOUNT_DIFFERS)
        elif order is None:
            lines.set(line["id"], status=st.ANOMALY, reason=st.UNKNOWN_IUV if single else st.UNKNOWN_REFERENCE,
                      order_id=None)
        else:
            source = sources[("line", line["id"])]
            status, reason = maker.settle(source, order, once=single)
            lines.set(line["id"], status=status, reason=reason, order_id=order["order_id"])
            settled.append((lines, line["id"], source))
    outcome = RunOutcome(payments_made=maker.flush())
    for changes, row_id, source in settled:
        if changes.after[row_id]["status"] == st.MATCHED:
            changes.set(row_id, payment_row=maker.row_of(source.agent_id, source.payment_id))
    outcome.changed = lines.write(conn) + flow_changes.write(conn) + fps.write(conn)
    for name, table in (("lines", statement_lines), ("flows", flows), ("payments", flow_payments)):
        counts = conn.execute(select(table.c.status, func.count()).group_by(table.c.status)).all()
        setattr(outcome, name, Counter(dict(counts)))
    return outcome


__all__ = ["RunOutcome", "run", "CHUNK"]
