"""The outbox: signed events waiting for the hub's application ack.

A row gets its message id and its per-agent sequence number when it is created, inside
the same transaction as the fact it reports (for a payment: the committed terminal
outcome), and its envelope bytes never change after that: a re-send after a restart or
timeout is byte-for-byte the same message, so the hub can deduplicate by id.

A row leaves the `pending` state only when the hub's ack for its message id arrives
(`mark_acked`), never on the broker's PUBACK.  The sequence counter lives in
`settings` and only grows, so numbers survive restarts and pruning of acked rows.

The cap (`OutboxFull`) is checked by the payment life *before* a new intent is taken;
`append` itself never refuses, so a payment already charged is never dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from protocol.keys import SigningKey
from protocol.wire import envelope as wire

from agent.store import Store

SEQ_KEY = "outbox_seq"


class OutboxFull(RuntimeError):
    """The outbox holds `cap` undelivered rows; new payments wait until the hub is reachable."""


def utc_now() -> str:
    return wire.utc_now()


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    message_id: str
    type: str
    envelope: bytes
    attempts: int = 0


class Outbox:
    def __init__(self, store: Store, agent_id: str, key: SigningKey, cap: int = 10_000):
        self.store = store
        self.agent_id = agent_id
        self.key = key
        self.cap = cap

    def append(self, type_: str, body: dict[str, Any], *, payment_id: str | None = None) -> OutboxRow:
        """Sign and store one event; joins the caller's transaction if there is one.

        With `payment_id`, a second append for the same payment returns the existing row:
        an approved payment is in the outbox exactly once, whoever records it.
        """
        with self.store.transaction() as db:
            if payment_id is not None:
                found = db.execute("SELECT seq, message_id, type, envelope, attempts FROM outbox "
                                   "WHERE payment_id = ?", (payment_id,)).fetchone()
                if found:
                    return OutboxRow(found[0], found[1], found[2], bytes(found[3]), found[4])
            seq = self.store.next_counter(SEQ_KEY)
            envelope = wire.make(self.agent_id, seq, type_, body, self.key)
            raw = envelope.encode()
            db.execute("INSERT INTO outbox(seq, message_id, type, payment_id, envelope, state, created_at) "
                       "VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                       (seq, envelope.id, type_, payment_id, raw, envelope.time))
        return OutboxRow(seq, envelope.id, type_, raw)

    def check_room(self) -> None:
        depth = self.depth()
        if depth >= self.cap:
            raise OutboxFull(f"the outbox holds {depth} payments the hub has not confirmed (limit {self.cap}): "
                             "new payments are refused until the connection to the hub is back; "
                             "nothing has been lost")

    def depth(self) -> int:
        return int(self.store.scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'") or 0)

    def rejected_count(self) -> int:
        """Rows the hub acked as rejected: delivered, but never to be accepted."""
        return int(self.store.scalar("SELECT COUNT(*) FROM outbox WHERE state = 'rejected'") or 0)

    def oldest_age_s(self, now: dt.datetime | None = None) -> int | None:
        oldest = self.store.scalar("SELECT MIN(created_at) FROM outbox WHERE state = 'pending'")
        if oldest is None:
            return None
        now = now or dt.datetime.now(dt.timezone.utc)
        created = dt.datetime.fromisoformat(oldest.replace("Z", "+00:00"))
        return max(0, int((now - created).total_seconds()))

    def pending(self, after_seq: int = 0, limit: int = 100) -> list[OutboxRow]:
        rows = self.store.query("SELECT seq, message_id, type, envelope, attempts FROM outbox "
                                "WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?", (after_seq, limit))
        return [OutboxRow(r["seq"], r["message_id"], r["type"], bytes(r["envelope"]), r["attempts"]) for r in rows]

    def record_progress(self, sent: Iterable[int], acks: Iterable[tuple[str, str]]) -> list[str]:
        """Sends and hub acks since the last call, in one transaction (one fsync, not two per row)."""
        sent = list(sent)
        if not sent:
            return self.mark_acked(acks)
        now = utc_now()
        with self.store.transaction() as db:
            db.conn.executemany("UPDATE outbox SET attempts = attempts + 1, last_sent_at = ? WHERE seq = ?",
                                [(now, seq) for seq in sent])
            return self.mark_acked(acks)

    def mark_acked(self, acks: Iterable[tuple[str, str]]) -> list[str]:
        """Apply hub acks [(message_id, status)] in one transaction; returns ids that changed."""
        acks = list(acks)
        if not acks:
            return []
        now = utc_now()
        changed = []
        with self.store.transaction() as db:
            for message_id, status in acks:
                state = "rejected" if status == "rejected" else "acked"
                cursor = db.execute("UPDATE outbox SET state = ?, acked_at = ?, ack_status = ? "
                                    "WHERE message_id = ? AND state = 'pending'", (state, now, status, message_id))
                if cursor.rowcount:
                    changed.append(message_id)
        return changed

    def replay_from(self, from_seq: int) -> int:
        """The hub asks again for everything from `from_seq`: re-queue the same bytes."""
        with self.store.transaction() as db:
            cursor = db.execute("UPDATE outbox SET state = 'pending' WHERE seq >= ? AND state = 'acked'", (from_seq,))
            return cursor.rowcount

    def state_of(self, message_id: str) -> str | None:
        return self.store.scalar("SELECT state FROM outbox WHERE message_id = ?", (message_id,))

    def rows(self, limit: int = 50) -> list[dict]:
        return self.store.query("SELECT seq, message_id, type, payment_id, state, created_at, acked_at, attempts "
                                "FROM outbox ORDER BY seq DESC LIMIT ?", (limit,))

    def last_ack_at(self) -> str | None:
        return self.store.scalar("SELECT MAX(acked_at) FROM outbox")

    def prune_acked(self, older_than_days: int = 30) -> int:
        """Acked rows are history; the seq counter in settings keeps numbering unique."""
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=older_than_days)).isoformat()
        with self.store.transaction() as db:
            return db.execute("DELETE FROM outbox WHERE state = 'acked' AND acked_at < ?", (cutoff,)).rowcount
