"""Store a batch of checked envelopes in one transaction, exactly once each.

Dedup is by (agent id, message id), the events table's unique key; a payment is
also unique by (agent id, payment id).  The acks are made here: one signed `acks`
message per agent for all its events in the batch, kept in acks_sent (evidence of
what the agent was told) with each event row naming it; a duplicate is acked again
for the same message id and seq, with status 'duplicate'.
Events refused with a reason (hub/ingest/refusals.py: found by the checks, or a
second version of a stored payment found here) are acked `rejected` in the same acks
message and kept in refused_events, never in events or payments.
Confirmations for case systems are queued in the same transaction
(`hub.delivery.queue.enqueue_confirmations`), and so are end-of-day reports and the
re-judging of the batches new card payments belong to (`hub.finance.eod.records`).
The caller publishes acks only after this transaction commits.

Throughput comes from doing per batch what could be done per message: one query
for known events, one for known payments and voids, one multi-row insert per table,
one multi-row update of the agents; per-message queries are left only for linking
by an order reference.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.dialects import postgresql, sqlite

from protocol.keys import SigningKey
from protocol.wire import Envelope, new_message_id
from protocol.wire.messages import ACKS_PER_MESSAGE
from hub.delivery import queue as delivery_queue
from hub.finance.eod import records as eod_records
from hub.ingest.conflicts import body_of, conflict_row, differences
from hub.ingest.presence import apply_state
from hub.ingest.refusals import PAYMENT_CONFLICT, Refusal, store_refusals
from hub.ingest.sequence import DEFAULT_GAP_GRACE_S, advance_sequences, due_replays
from hub.linking.linker import find_link
from hub.store.bulk import insert_rows
from hub.store.tables import acks_sent, agents, events, payments, voids
from hub.store.tables_ingest import payment_conflicts, refused_events
from hub.store.timeutil import normalise, now_iso

log = logging.getLogger(__name__)

CHUNK = 400   # rows per IN (...) query: well under SQLite's and PostgreSQL's parameter limits


@dataclass
class Outgoing:
    """What to publish after the commit: per agent, acks messages covering every event given."""
    acks: list[tuple[str, bytes]] = field(default_factory=list)        # (agent, signed acks message)
    outcomes: Counter = field(default_factory=Counter)                  # (event type, stored|duplicate) → n
    refused: Counter = field(default_factory=Counter)                   # reason → events newly refused
    gaps: dict[str, int] = field(default_factory=dict)                  # agent → first missing seq
    stored: int = 0
    state: list[tuple[str, str]] = field(default_factory=list)
    stale_refs: set[str] = field(default_factory=set)   # case lookups to evict (references just paid)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def pairs_query(conn: Connection, columns, keys: list[tuple[str, str]],
                select_list: str | None = None) -> tuple[str, tuple[str, ...]]:
    """SQL and parameters for the rows whose (a, b) is one of `keys`, written
    `(a = ? AND b IN (?, …)) OR …` grouped by a: each term is a search of the (a, b)
    unique index on SQLite and PostgreSQL.  A row-value `(a, b) IN (VALUES …)` says the
    same, but SQLite answers it by scanning the whole index: a cost that grows with
    every event ever stored.  Plain DB-API SQL: it runs once per batch with a new shape
    each time, where building SQLAlchemy clauses cost more than the query itself."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    first, second = columns
    groups: dict[str, list[str]] = {}
    for a, b in keys:
        groups.setdefault(a, []).append(b)
    terms, params = [], []
    for a, bs in groups.items():
        terms.append(f"({first.name} = {mark} AND {second.name} IN ({', '.join([mark] * len(bs))}))")
        params.append(a)
        params.extend(bs)
    listed = select_list or f"{first.name}, {second.name}"
    return f"SELECT {listed} FROM {first.table.name} WHERE {' OR '.join(terms)}", tuple(params)


def _known(conn: Connection, columns, keys: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Which of these (a, b) keys are stored already (one query per CHUNK keys)."""
    found: dict[tuple[str, str], bool] = {}
    for chunk in _chunks(sorted(set(keys))):
        for row in conn.exec_driver_sql(*pairs_query(conn, columns, chunk)):
            found[(row[0], row[1])] = True
    return found


_KIDS: dict[int, tuple[SigningKey, str]] = {}   # id → (the key itself, so the id stays its own; kid)


def _kid(key: SigningKey) -> str:
    cached = _KIDS.get(id(key))
    if cached is not None and cached[0] is key:
        return cached[1]
    if len(_KIDS) > 64:
        _KIDS.clear()
    _KIDS[id(key)] = (key, key.kid)
    return key.kid


def sign_acks(agent: str, items: list[dict[str, Any]], key: SigningKey, at: str, message_id: str) -> bytes:
    """One signed `acks` envelope for `items` ({for_id, for_seq, status}), byte for byte
    what `wire.make(agent, 0, "acks", {"acks": items}, key, message_id, at).encode()` gives.

    Built here rather than with wire.make because it runs once per agent per batch: the
    body is ours (str and int only, so json.dumps is already canonical), and the key id
    is worked out once per key instead of once per signature.
    """
    document = {"v": 1, "id": message_id, "agent": agent, "seq": 0, "time": at, "type": "acks",
                "kid": _kid(key), "body": {"acks": items}}
    unsigned = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    document["sig"] = base64.urlsafe_b64encode(key.sign(unsigned)).decode("ascii").rstrip("=")
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _time_or(text: str, fallback: str) -> str:
    try:
        return normalise(text)
    except ValueError:
        return fallback


def payment_columns(envelope: Envelope, received_at: str) -> dict[str, Any]:
    body = envelope.body
    payer = body.get("payer") or {}
    return {
        "agent_id": envelope.agent, "payment_id": body["payment_id"], "message_id": envelope.id,
        "receipt_id": body["receipt_id"], "office": body["office"], "kind": body.get("kind", "payment"),
        "amount_minor": body["amount_minor"], "currency": body["currency"], "tender": body["tender"],
        "reference_format": body["reference"]["format"], "reference_value": body["reference"].get("value"),
        "order_ref": body.get("order_id"), "case_ref": body.get("case_ref"),
        "payer_name": payer.get("name"), "payer_id": payer.get("id"), "operator": body.get("operator"),
        "captured_at": _time_or(body["captured_at"], envelope.time),
        "received_at": received_at, "voided_at": None, "void_reason": None, "body": body,
        "handling_fee_minor": _fee_included(body),
    }


def _fee_included(body: dict[str, Any]) -> int:
    """The handling fee charged with the payment, on its own tender (a fee taken apart is not in its amount)."""
    fee = body.get("handling_fee") or {}
    return fee.get("amount_minor", 0) if fee.get("tender") == body.get("tender") else 0


def confirmation_payment(columns: dict[str, Any]) -> dict[str, Any]:
    """The payment as case systems see it (no internal columns)."""
    keep = ("agent_id", "payment_id", "receipt_id", "office", "kind", "amount_minor", "currency", "tender",
            "reference_format", "reference_value", "order_ref", "case_ref", "payer_name", "payer_id",
            "operator", "captured_at", "voided_at", "void_reason")
    payment = {k: columns.get(k) for k in keep}
    if columns.get("voided_at") and (columns.get("void_operator") or columns.get("void_approved_by")):
        # A void made at the counter names who voided it and who approved it.
        payment.update(void_operator=columns.get("void_operator"), void_approved_by=columns.get("void_approved_by"),
                       void_receipt_id=columns.get("void_receipt_id"))
    return payment


def _link_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"status": row["link_status"], "method": row["link_method"], "order_id": row["linked_order_id"],
            "case_ref": row["linked_case_ref"], "note": row["link_note"]}


def _enqueue_all(conn: Connection, items: list[dict[str, Any]], stale_refs: set[str]) -> None:
    """Queue confirmations in one call: a batch costs a few statements instead of a few per payment."""
    delivery_queue.enqueue_confirmations(conn, items, stale_refs=stale_refs)


def _stored_payments(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, Any]]:
    """(agent, payment id) → (message id, body as read) of the payments stored already."""
    found = {}
    for chunk in _chunks(sorted(set(keys))):
        query = pairs_query(conn, (payments.c.agent_id, payments.c.payment_id), chunk,
                            "agent_id, payment_id, message_id, body")
        for row in conn.exec_driver_sql(*query):
            found[(row[0], row[1])] = (row[2], row[3])
    return found


def _store_payments(conn: Connection, captured: list[Envelope], known: dict, received_at: str,
                    stale_refs: set[str]) -> list[dict[str, Any]]:
    """`known`: (agent, payment id) of the payments stored already; returns the rows stored."""
    keys = [(e.agent, e.body["payment_id"]) for e in captured]
    known = dict.fromkeys(known, True)
    pending_voids = {}
    for chunk in _chunks(sorted(set(keys))):
        for row in conn.exec_driver_sql(*pairs_query(conn, (voids.c.agent_id, voids.c.payment_id), chunk,
                                                     "*")).mappings():
            pending_voids[(row["agent_id"], row["payment_id"])] = row
    rows, void_names = [], {}
    for envelope in captured:
        key = (envelope.agent, envelope.body["payment_id"])
        if key in known:
            continue   # the same payment under another message id: stored once already
        known[key] = True
        columns = payment_columns(envelope, received_at)
        void = pending_voids.get(key)
        if void:
            columns["voided_at"], columns["void_reason"] = void["voided_at"], void["reason"]
            void_names[key] = _void_names(void)
        link = find_link(conn, columns)
        columns.update(link.columns())
        rows.append(columns)
    if rows:
        insert_rows(conn, payments, rows)
    items = [{"event_id": c["message_id"], "agent_id": c["agent_id"],
              "payment": confirmation_payment({**c, **void_names.get((c["agent_id"], c["payment_id"]), {})}),
              "link": _link_json(c)} for c in rows]
    _enqueue_all(conn, items, stale_refs)
    return rows


def _void_names(void: Any) -> dict[str, Any]:
    return {"void_operator": void.get("operator"), "void_approved_by": void.get("approved_by"),
            "void_receipt_id": void.get("receipt_id")}


_VOID_PAYMENT = (payments.update()
                 .where(payments.c.agent_id == bindparam("b_agent"), payments.c.payment_id == bindparam("b_payment"))
                 .values(voided_at=bindparam("b_at"), void_reason=bindparam("b_reason")))


def _store_voids(conn: Connection, voided: list[Envelope], stale_refs: set[str]) -> list[tuple[str, str]]:
    """Returns the (agent, payment id) of the voids stored."""
    keys = [(e.agent, e.body["payment_id"]) for e in voided]
    known = _known(conn, (voids.c.agent_id, voids.c.payment_id), keys)
    rows = []
    for envelope in voided:
        body, key = envelope.body, (envelope.agent, envelope.body["payment_id"])
        if key in known:
            continue
        known[key] = True
        rows.append({"agent_id": envelope.agent, "payment_id": body["payment_id"], "message_id": envelope.id,
                     "amount_minor": body["amount_minor"], "reason": body["reason"],
                     "voided_at": _time_or(body["voided_at"], envelope.time), "operator": body.get("operator"),
                     "approved_by": body.get("approved_by"), "receipt_id": body.get("receipt_id")})
    if not rows:
        return []
    conn.execute(voids.insert(), rows)
    conn.execute(_VOID_PAYMENT, [{"b_agent": r["agent_id"], "b_payment": r["payment_id"], "b_at": r["voided_at"],
                                  "b_reason": r["reason"]} for r in rows])
    # Voids of payments not stored yet are picked up by the payment when it arrives.
    items = []
    for void in rows:
        row = conn.execute(select(payments).where(payments.c.agent_id == void["agent_id"],
                                                  payments.c.payment_id == void["payment_id"])).mappings().first()
        if row is not None:
            items.append({"event_id": void["message_id"], "agent_id": void["agent_id"],
                          "payment": confirmation_payment({**row, **_void_names(void)}), "link": _link_json(row)})
    _enqueue_all(conn, items, stale_refs)
    return [(r["agent_id"], r["payment_id"]) for r in rows]


def _ensure_agents(conn: Connection, agent_ids: set[str]) -> None:
    known = set()
    for chunk in _chunks(sorted(agent_ids)):
        known.update(conn.execute(select(agents.c.agent_id).where(agents.c.agent_id.in_(chunk))).scalars())
    missing = sorted(agent_ids - known)
    if missing:
        # Several workers meet a new agent at once (its first events split between them): the
        # row one of them inserted first is the row, and nobody's batch fails over it.
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(agents)
        conn.execute(insert.on_conflict_do_nothing(index_elements=[agents.c.agent_id]),
                     [{"agent_id": a, "online": False, "contiguous_seq": 0, "max_seq": 0} for a in missing])


def _sign_acks(conn: Connection, to_ack: dict[str, list[dict[str, Any]]], key: SigningKey, at: str,
               out: Outgoing) -> dict[tuple[str, str], str]:
    """One signed acks message per agent (per ACKS_PER_MESSAGE events), kept in
    acks_sent; returns (agent, event message id) → the id of the acks message covering it."""
    ack_of: dict[tuple[str, str], str] = {}
    rows = []
    for agent, items in to_ack.items():
        for chunk in _chunks(items, ACKS_PER_MESSAGE):
            message_id = new_message_id()
            signed = sign_acks(agent, chunk, key, at, message_id)
            rows.append({"id": message_id, "agent_id": agent, "sent_at": at, "envelope": signed.decode("utf-8")})
            out.acks.append((agent, signed))
            for item in chunk:
                ack_of[(agent, item["for_id"])] = message_id
    insert_rows(conn, acks_sent, rows)
    return ack_of


def _conflict(envelope: Envelope, raw: str, first: tuple[str, Any], received_at: str) -> tuple[Refusal, dict]:
    """The refusal and the payment_conflicts row of a second version of a payment."""
    payment_id = envelope.body["payment_id"]
    differing = differences(body_of(first[1]), envelope.body)
    refusal = Refusal.of(envelope, PAYMENT_CONFLICT,
                         f"payment {payment_id} is stored already (message {first[0]}) with another "
                         f"{', '.join(differing)}; the stored version stands", keep=raw)
    row = conflict_row(envelope.agent, payment_id, envelope.id, first[0], differing, envelope.body, received_at)
    return refusal, row


def _refuse(conn: Connection, refused: list[Refusal], conflicts: dict[tuple[str, str], dict],
            existing: dict, to_ack: dict[str, list[dict[str, Any]]], new_seqs: dict[str, set[int]],
            out: Outgoing) -> list[Refusal]:
    """Ack every refusal `rejected` (an event stored under that id already: `duplicate`);
    returns those to keep, the ones not kept yet."""
    known = _known(conn, (refused_events.c.agent_id, refused_events.c.message_id),
                   [(r.agent, r.message_id) for r in refused])
    new: list[Refusal] = []
    for refusal in refused:
        key = (refusal.agent, refusal.message_id)
        items = to_ack.setdefault(refusal.agent, [])
        if key in existing:
            items.append({"for_id": refusal.message_id, "for_seq": refusal.seq, "status": "duplicate"})
            continue
        items.append({"for_id": refusal.message_id, "for_seq": refusal.seq, "status": "rejected",
                      "reason": refusal.ack_reason()})
        if key in known:
            continue
        known[key] = True
        new.append(refusal)
        out.refused[refusal.reason] += 1
        new_seqs.setdefault(refusal.agent, set()).add(refusal.seq)
    kept = {(r.agent, r.message_id) for r in new}
    insert_rows(conn, payment_conflicts, [row for key, row in conflicts.items() if key in kept])
    return new


def store_batch(conn: Connection, checked: list[tuple[Envelope, str]], state: list[tuple[Envelope, str]],
                event_key: SigningKey, gap_grace_s: float = DEFAULT_GAP_GRACE_S,
                refused: list[Refusal] = ()) -> Outgoing:
    """`checked`: (event envelope, its raw text); `state`: (birth/will envelope, its raw text, not kept);
    `refused`: events to answer `rejected` and keep apart (hub/ingest/refusals.py)."""
    received_at = now_iso()
    out = Outgoing()
    refused = list(refused)
    agent_ids = {env.agent for env, _ in checked} | {env.agent for env, _ in state} | {r.agent for r in refused}
    if agent_ids:
        _ensure_agents(conn, agent_ids)
    existing = _known(conn, (events.c.agent_id, events.c.message_id),
                      [(e.agent, e.id) for e, _ in checked] + [(r.agent, r.message_id) for r in refused]
                      ) if checked or refused else {}
    # The payments these events name, stored already or earlier in this batch: a new
    # message under a stored payment id is a re-send when its body is the same, else a conflict.
    versions = _stored_payments(conn, [(e.agent, e.body["payment_id"]) for e, _ in checked
                                       if e.type == "payment.captured" and (e.agent, e.id) not in existing])
    stored_payments = set(versions)
    conflicts: dict[tuple[str, str], dict] = {}
    new_rows: list[dict[str, Any]] = []
    new_seqs: dict[str, set[int]] = {}
    captured, voided, eod_reports = [], [], []
    to_ack: dict[str, list[dict[str, Any]]] = {}    # agent → its ack items, in arrival order
    for envelope, raw in checked:
        key = (envelope.agent, envelope.id)
        if envelope.type == "payment.captured" and key not in existing:
            payment_key = (envelope.agent, envelope.body["payment_id"])
            first = versions.setdefault(payment_key, (envelope.id, envelope.body))
            if first[0] != envelope.id and body_of(first[1]) != envelope.body:
                refusal, conflicts[key] = _conflict(envelope, raw, first, received_at)
                refused.append(refusal)
                continue
        item = {"for_id": envelope.id, "for_seq": envelope.seq, "status": "stored"}
        to_ack.setdefault(envelope.agent, []).append(item)
        if key in existing:
            # Acked again, as 'duplicate' and with the time of now: agents estimate clock
            # skew from ack times, so replaying the first ack's bytes would mislead them.
            item["status"] = "duplicate"
            out.outcomes[(envelope.type, "duplicate")] += 1
            continue
        existing[key] = True
        new_rows.append({"agent_id": envelope.agent, "message_id": envelope.id, "seq": envelope.seq,
                         "type": envelope.type, "time": envelope.time, "received_at": received_at,
                         "envelope": raw, "ack": ""})
        out.outcomes[(envelope.type, "stored")] += 1
        out.stored += 1
        new_seqs.setdefault(envelope.agent, set()).add(envelope.seq)
        if envelope.type == "payment.captured":
            captured.append(envelope)
        elif envelope.type == "payment.voided":
            voided.append(envelope)
        elif envelope.type == "eod.report":
            eod_reports.append(envelope)
    to_keep = _refuse(conn, refused, conflicts, existing, to_ack, new_seqs, out) if refused else []
    if to_ack:
        ack_of = _sign_acks(conn, to_ack, event_key, received_at, out)
        for row in new_rows:
            row["ack"] = ack_of[(row["agent_id"], row["message_id"])]
        store_refusals(conn, to_keep, ack_of, received_at)
    if new_rows:
        insert_rows(conn, events, new_rows)
    stored_rows = _store_payments(conn, captured, stored_payments, received_at, out.stale_refs) if captured else []
    voided_keys = _store_voids(conn, voided, out.stale_refs) if voided else []
    if stored_rows or voided_keys or eod_reports:
        # End of day (hub/finance/eod/records.py): the reports, and the batches these payments change.
        eod_records.record_batch(conn, stored_rows, voided_keys, eod_reports, received_at)
    for envelope, _ in state:
        out.state.append((envelope.agent, apply_state(conn, envelope, received_at)))
    seen = {env.agent for env, _ in checked} | {r.agent for r in refused}
    if seen:
        advance_sequences(conn, seen, new_seqs, received_at)
        out.gaps = due_replays(conn, gap_grace_s)
    return out


def store_with_retries(db, events: list[tuple[Envelope, str]], state: list[tuple[Envelope, str]],
                       event_key: SigningKey, gap_grace_s: float = DEFAULT_GAP_GRACE_S, *,
                       store=None, refused: list[Refusal] = (), attempts: int = 5) -> Outgoing:
    """`store_batch` in a transaction of its own, tried again when another hub worker
    stored one of these events first (once, at once: the retry sees its rows and treats
    them as duplicates) or held the database (`attempts` times, waiting a little longer
    each time).  Anything else, or a second unique violation, is the caller's to handle:
    a message that cannot be stored must not cost every batch it is in a round of waits."""
    store = store or store_batch
    raced = False
    for attempt in range(1, attempts + 1):
        try:
            with db.begin() as conn:
                return store(conn, events, state, event_key, gap_grace_s, refused)
        except IntegrityError:
            if raced or attempt == attempts:
                raise
            raced = True
            log.info("ingest batch retried after a unique violation (another worker stored it first?)")
        except OperationalError:
            if attempt == attempts:
                raise
            log.info("ingest batch retried after OperationalError")
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")
