"""Store a batch of checked envelopes in one transaction, exactly once each.

Dedup is by (agent id, message id), the events table's unique key; a payment is
also unique by (agent id, payment id).  For every new event the signed ack is made
here and stored with it, so a duplicate later gets the very same ack bytes.
Confirmations for case systems are queued in the same transaction
(`hub.delivery.queue.enqueue_confirmation`, when hub-delivery is installed).
The caller publishes acks only after this transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import datetime as dt

from sqlalchemy import Connection, or_, select, tuple_

from protocol.keys import SigningKey
from protocol.wire import Envelope, make
from hub.context import optional_module
from hub.ingest.presence import apply_state
from hub.linking.linker import find_link
from hub.store.tables import agents, events, payments, voids
from hub.store.timeutil import iso, normalise, now_iso

REPLAY_REPEAT_S = 30
"""Ask again for the same missing seq only after this long: the agent may be replaying."""


@dataclass
class Outgoing:
    """What to publish after the commit."""
    acks: list[tuple[str, bytes, str]] = field(default_factory=list)   # (agent, ack bytes, outcome)
    gaps: dict[str, int] = field(default_factory=dict)                  # agent → first missing seq
    stored: int = 0
    duplicates: int = 0
    state: list[tuple[str, str]] = field(default_factory=list)


def _existing(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        rows = conn.execute(select(events.c.agent_id, events.c.message_id, events.c.ack)
                            .where(tuple_(events.c.agent_id, events.c.message_id).in_(chunk)))
        found.update({(r.agent_id, r.message_id): r.ack for r in rows})
    return found


def _ensure_agents(conn: Connection, agent_ids: set[str]) -> None:
    known = set(conn.execute(select(agents.c.agent_id).where(agents.c.agent_id.in_(agent_ids))).scalars())
    missing = sorted(agent_ids - known)
    if missing:
        conn.execute(agents.insert(), [{"agent_id": a, "online": False, "contiguous_seq": 0, "max_seq": 0}
                                       for a in missing])


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
        "captured_at": normalise(body["captured_at"]) if _is_time(body["captured_at"]) else envelope.time,
        "received_at": received_at, "voided_at": None, "void_reason": None, "body": body,
    }


def _is_time(text: str) -> bool:
    try:
        normalise(text)
        return True
    except ValueError:
        return False


def confirmation_payment(columns: dict[str, Any]) -> dict[str, Any]:
    """The payment as case systems see it (no internal columns)."""
    keep = ("agent_id", "payment_id", "receipt_id", "office", "kind", "amount_minor", "currency", "tender",
            "reference_format", "reference_value", "order_ref", "case_ref", "payer_name", "payer_id",
            "operator", "captured_at", "voided_at", "void_reason")
    return {k: columns.get(k) for k in keep}


def _store_payment(conn: Connection, envelope: Envelope, received_at: str, enqueue) -> None:
    columns = payment_columns(envelope, received_at)
    if conn.execute(select(payments.c.id).where(payments.c.agent_id == envelope.agent,
                                                payments.c.payment_id == columns["payment_id"])).first():
        return   # the same payment under another message id: stored once already
    void = conn.execute(select(voids).where(voids.c.agent_id == envelope.agent,
                                            voids.c.payment_id == columns["payment_id"])).mappings().first()
    if void:
        columns["voided_at"], columns["void_reason"] = void["voided_at"], void["reason"]
    link = find_link(conn, columns)
    columns.update(link.columns())
    conn.execute(payments.insert().values(**columns))
    if enqueue:
        enqueue(conn, event_id=envelope.id, agent_id=envelope.agent,
                payment=confirmation_payment(columns), link=link.to_json())


def _store_void(conn: Connection, envelope: Envelope, enqueue) -> None:
    body = envelope.body
    voided_at = normalise(body["voided_at"]) if _is_time(body["voided_at"]) else envelope.time
    if conn.execute(select(voids.c.payment_id).where(voids.c.agent_id == envelope.agent,
                                                     voids.c.payment_id == body["payment_id"])).first():
        return
    conn.execute(voids.insert().values(agent_id=envelope.agent, payment_id=body["payment_id"],
                                       message_id=envelope.id, amount_minor=body["amount_minor"],
                                       reason=body["reason"], voided_at=voided_at))
    row = conn.execute(select(payments).where(payments.c.agent_id == envelope.agent,
                                              payments.c.payment_id == body["payment_id"])).mappings().first()
    if row is None:
        return   # the payment has not arrived yet; it picks the void up when it does
    conn.execute(payments.update().where(payments.c.id == row["id"])
                 .values(voided_at=voided_at, void_reason=body["reason"]))
    if enqueue:
        columns = dict(row) | {"voided_at": voided_at, "void_reason": body["reason"]}
        link = {"status": row["link_status"], "method": row["link_method"], "order_id": row["linked_order_id"],
                "case_ref": row["linked_case_ref"], "note": row["link_note"]}
        enqueue(conn, event_id=envelope.id, agent_id=envelope.agent,
                payment=confirmation_payment(columns), link=link)


def _advance_sequence(conn: Connection, agent_id: str, batch_max: int) -> int | None:
    """Move the agent's contiguous mark forward; returns the first missing seq if there is a gap."""
    row = conn.execute(select(agents.c.contiguous_seq, agents.c.max_seq)
                       .where(agents.c.agent_id == agent_id)).first()
    contiguous, max_seq = row.contiguous_seq, max(row.max_seq, batch_max)
    while contiguous < max_seq:
        seqs = conn.execute(select(events.c.seq).distinct().where(events.c.agent_id == agent_id,
                                                                  events.c.seq > contiguous)
                            .order_by(events.c.seq).limit(2000)).scalars().all()
        advanced = False
        for seq in seqs:
            if seq != contiguous + 1:
                break
            contiguous, advanced = seq, True
        if not advanced or len(seqs) < 2000:
            break
    conn.execute(agents.update().where(agents.c.agent_id == agent_id)
                 .values(contiguous_seq=contiguous, max_seq=max_seq))
    return contiguous + 1 if contiguous < max_seq else None


def store_batch(conn: Connection, checked: list[tuple[Envelope, str]], state: list[tuple[Envelope, str]],
                event_key: SigningKey) -> Outgoing:
    """`checked`: (event envelope, raw text); `state`: (birth/will envelope, received time)."""
    received_at = now_iso()
    out = Outgoing()
    delivery = optional_module("hub.delivery.queue")
    enqueue = getattr(delivery, "enqueue_confirmation", None) if delivery else None
    agent_ids = {env.agent for env, _ in checked} | {env.agent for env, _ in state}
    if agent_ids:
        _ensure_agents(conn, agent_ids)
    existing = _existing(conn, [(env.agent, env.id) for env, _ in checked]) if checked else {}
    new_rows, batch_max = [], {}
    for envelope, raw in checked:
        key = (envelope.agent, envelope.id)
        if key in existing:
            out.acks.append((envelope.agent, existing[key].encode("utf-8"), "duplicate"))
            out.duplicates += 1
            continue
        ack = make(envelope.agent, envelope.seq, "ack",
                   {"for_id": envelope.id, "for_seq": envelope.seq, "status": "stored"}, event_key).encode()
        existing[key] = ack.decode("utf-8")
        new_rows.append({"agent_id": envelope.agent, "message_id": envelope.id, "seq": envelope.seq,
                         "type": envelope.type, "time": envelope.time, "received_at": received_at,
                         "envelope": raw, "ack": existing[key]})
        out.acks.append((envelope.agent, ack, "stored"))
        out.stored += 1
        batch_max[envelope.agent] = max(batch_max.get(envelope.agent, 0), envelope.seq)
        if envelope.type == "payment.captured":
            _store_payment(conn, envelope, received_at, enqueue)
        elif envelope.type == "payment.voided":
            _store_void(conn, envelope, enqueue)
    if new_rows:
        conn.execute(events.insert(), new_rows)
    for envelope, _ in state:
        out.state.append((envelope.agent, apply_state(conn, envelope, received_at)))
    seen = {env.agent for env, _ in checked}
    for agent_id in sorted(seen):
        conn.execute(agents.update().where(agents.c.agent_id == agent_id,
                                           or_(agents.c.last_seen.is_(None), agents.c.last_seen < received_at))
                     .values(last_seen=received_at))
        gap = _advance_sequence(conn, agent_id, batch_max.get(agent_id, 0))
        if gap is not None and _should_ask_replay(conn, agent_id, gap):
            out.gaps[agent_id] = gap
    return out


def _should_ask_replay(conn: Connection, agent_id: str, first_missing: int) -> bool:
    row = conn.execute(select(agents.c.replay_from, agents.c.replay_at).where(agents.c.agent_id == agent_id)).first()
    now = dt.datetime.now(dt.timezone.utc)
    recent = iso(now - dt.timedelta(seconds=REPLAY_REPEAT_S))
    if row.replay_from == first_missing and row.replay_at and row.replay_at > recent:
        return False
    conn.execute(agents.update().where(agents.c.agent_id == agent_id)
                 .values(replay_from=first_missing, replay_at=iso(now)))
    return True
