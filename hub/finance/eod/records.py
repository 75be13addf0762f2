"""End-of-day reports stored by the ingest, in the transaction of the events that carry them.

`record_batch` is called once per ingest batch, after its payments and voids are stored:

* every new card payment gets its `eod_card_payments` row (its batch number and terminal
  from the payment's `card`), so a batch's figures are one indexed query;
* every new `eod.report` is stored once: the same event twice is deduplicated by the
  events table already, and a report under another message id with a batch id stored
  already is the same batch and adds nothing (the first stands);
* every report the batch touches is judged again: the new ones, and the ones whose
  payments or voids arrived now.  So a payment that lands after its batch's report
  (a replay, an agent that was offline) clears the mismatch it caused, with no job to run.

A report with a batch number is compared with the payments carrying that number (and,
when both say which terminal, the same terminal).  One without (an agent older than
batch numbers) is compared by its time window, `opened_at` ≤ captured < `closed_at`,
and so are payments without a batch number; a report without `opened_at` starts where
the agent's previous report closed, or at the start of its UTC day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from protocol.domain import Tender
from protocol.wire import Envelope
from hub.finance.eod.compare import HubPayment, attention, judge, reported_of
from hub.store.bulk import insert_rows
from hub.store.tables import payments
from hub.store.tables_eod import eod_card_payments, eod_reports
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import normalise, now_iso, parse, iso

log = logging.getLogger(__name__)


def _time_or(text: str | None, fallback: str | None) -> str | None:
    try:
        return normalise(text) if text else fallback
    except ValueError:
        return fallback


def card_payment_rows(stored: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The eod_card_payments rows of newly stored payment rows (hub/ingest/store.py columns)."""
    rows = []
    for payment in stored:
        if payment["tender"] != Tender.CARD:
            continue
        card = (payment.get("body") or {}).get("card") or {}
        rows.append({"agent_id": payment["agent_id"], "payment_id": payment["payment_id"],
                     "batch_no": card.get("batch_no"), "terminal_id": card.get("terminal_id"),
                     "currency": payment["currency"], "captured_at": payment["captured_at"]})
    return rows


def _office_of(conn: Connection, agent_id: str) -> str | None:
    return conn.execute(select(func.max(agent_certificates.c.office))
                        .where(agent_certificates.c.agent_id == agent_id)).scalar()


def _window_start(conn: Connection, agent_id: str, closed_at: str) -> str:
    previous = conn.execute(select(func.max(eod_reports.c.closed_at))
                            .where(eod_reports.c.agent_id == agent_id, eod_reports.c.closed_at < closed_at)).scalar()
    if previous:
        return previous
    day = parse(closed_at).replace(hour=0, minute=0, second=0, microsecond=0)
    return iso(day)


def _store_reports(conn: Connection, reports: list[Envelope], received_at: str) -> list[int]:
    """Store the reports not stored yet; returns the new rows' ids."""
    keys = {(e.agent, e.body["batch_id"]) for e in reports}
    known = set()
    for agent_id in {a for a, _ in keys}:
        batch_ids = [b for a, b in keys if a == agent_id]
        known.update((agent_id, b) for b in conn.execute(
            select(eod_reports.c.batch_id).where(eod_reports.c.agent_id == agent_id,
                                                 eod_reports.c.batch_id.in_(batch_ids))).scalars())
    new_ids = []
    for envelope in reports:
        body, key = envelope.body, (envelope.agent, envelope.body["batch_id"])
        if key in known:
            log.info("eod report %s of agent %s names batch %s, stored already: the first stands",
                     envelope.id, envelope.agent, body["batch_id"])
            continue
        known.add(key)
        closed_at = _time_or(body["closed_at"], envelope.time)
        opened_at = _time_or(body.get("opened_at"), None) or _window_start(conn, envelope.agent, closed_at)
        reported = reported_of(body)
        row = {"agent_id": envelope.agent, "message_id": envelope.id, "batch_id": body["batch_id"],
               "batch_no": body.get("batch_no"), "terminal_id": body.get("terminal_id"),
               "office": body.get("office") or _office_of(conn, envelope.agent), "currency": body["currency"],
               "opened_at": opened_at, "closed_at": closed_at, "received_at": received_at,
               "reported_count": reported.count, "reported_total_minor": reported.total_minor,
               "reported_source": reported.source, "hub_count": 0, "hub_total_minor": 0, "status": "mismatch",
               "differences": [], "attention": attention("mismatch", closed_at), "evaluated_at": received_at,
               "body": body}
        new_ids.append(conn.execute(eod_reports.insert().values(**row)).inserted_primary_key[0])
    return new_ids


def _batch_payments(conn: Connection, report: dict[str, Any]) -> list[HubPayment]:
    """The card payments the hub holds for this report's batch (see the module's docstring)."""
    entry = eod_card_payments.c
    in_window = and_(entry.captured_at >= report["opened_at"], entry.captured_at < report["closed_at"])
    if report["batch_no"] is not None:
        which = or_(entry.batch_no == report["batch_no"], and_(entry.batch_no.is_(None), in_window))
    else:
        which = in_window
    query = (select(entry.payment_id, entry.currency, payments.c.amount_minor, payments.c.kind, payments.c.voided_at)
             .join(payments, and_(payments.c.agent_id == entry.agent_id, payments.c.payment_id == entry.payment_id))
             .where(entry.agent_id == report["agent_id"], which))
    if report["terminal_id"] is not None:
        query = query.where(or_(entry.terminal_id.is_(None), entry.terminal_id == report["terminal_id"]))
    return [HubPayment(r.payment_id, r.currency, r.amount_minor, r.kind, r.voided_at is not None)
            for r in conn.execute(query.order_by(entry.captured_at, entry.payment_id))]


def evaluate(conn: Connection, report_ids: Iterable[int], at: str | None = None) -> None:
    """Judge these reports again against the payments stored now, and keep the verdicts."""
    at = at or now_iso()
    for report_id in sorted(set(report_ids)):
        report = conn.execute(select(eod_reports).where(eod_reports.c.id == report_id)).mappings().first()
        if report is None:
            continue
        verdict = judge(report["currency"], reported_of(report["body"]), _batch_payments(conn, report),
                        report["body"].get("payment_ids"))
        conn.execute(eod_reports.update().where(eod_reports.c.id == report_id).values(
            status=verdict.status, hub_count=verdict.hub.count, hub_total_minor=verdict.hub.total_minor,
            differences=verdict.differences, attention=attention(verdict.status, report["closed_at"]),
            evaluated_at=at))


def _touched(conn: Connection, entries: list[dict[str, Any]]) -> set[int]:
    """Ids of the reports whose batch these card payments belong to."""
    numbered: dict[str, set[int]] = {}
    times: dict[str, list[str]] = {}
    for e in entries:
        if e["batch_no"] is not None:
            numbered.setdefault(e["agent_id"], set()).add(e["batch_no"])
        times.setdefault(e["agent_id"], []).append(e["captured_at"])
    r = eod_reports.c
    # Most payments' agents have no report open to them: one plain IN query finds the few
    # that have any, so the common batch costs that query and no more.
    with_reports = set(conn.execute(select(r.agent_id).distinct().where(r.agent_id.in_(sorted(times)))).scalars())
    numbered = {a: n for a, n in numbered.items() if a in with_reports}
    times = {a: t for a, t in times.items() if a in with_reports}
    terms = [and_(r.agent_id == agent_id, r.batch_no.in_(sorted(numbers))) for agent_id, numbers in numbered.items()]
    # By window: a report without a number, or a payment without one (judging one report
    # too many costs a query; missing one would leave a mismatch that is no longer true).
    terms += [and_(r.agent_id == agent_id, r.opened_at <= max(seen), r.closed_at > min(seen))
              for agent_id, seen in times.items()]
    if not terms:
        return set()
    return set(conn.execute(select(r.id).where(or_(*terms))).scalars())


def record_batch(conn: Connection, stored_payments: list[dict[str, Any]], voided: list[tuple[str, str]],
                 reports: list[Envelope], received_at: str) -> None:
    """The end-of-day part of one ingest batch: `stored_payments` the payment rows just
    inserted, `voided` the (agent, payment id) of voids just stored, `reports` the new
    eod.report envelopes."""
    entries = card_payment_rows(stored_payments)
    insert_rows(conn, eod_card_payments, entries)
    touched = set(_store_reports(conn, reports, received_at)) if reports else set()
    if voided:
        found = []
        for agent_id in {a for a, _ in voided}:
            ids = [p for a, p in voided if a == agent_id]
            found += [dict(row) for row in conn.execute(select(eod_card_payments).where(
                eod_card_payments.c.agent_id == agent_id, eod_card_payments.c.payment_id.in_(ids))).mappings()]
        entries = entries + found
    if entries:
        touched |= _touched(conn, entries)
    if touched:
        evaluate(conn, touched, received_at)
