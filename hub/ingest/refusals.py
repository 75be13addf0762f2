"""Events the hub answers with a `rejected` ack, and what it keeps of them.

An event is refused when it is the agent's (its signature holds) but must not be
stored as it is: a card number in a free-text field, another office than the one the
agent was enrolled for, a second, different version of a stored payment, or a message
the store could not hold even on its own (quarantined, so it never holds up the other
agents' events again).  The agent is told why in the ack and stops re-sending it; the
refusal is kept in `refused_events` (a re-send gets the same answer, and the agent's
sequence has no gap there) and counted in /metrics.  Nothing kept or told repeats a
card number: a body that held one is not kept at all, every other is redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import Connection

from protocol import card_numbers
from protocol.wire import Envelope
from hub.store.bulk import insert_rows
from hub.store.tables_ingest import refused_events

CARD_NUMBER = "card_number"
OFFICE_MISMATCH = "office_mismatch"
PAYMENT_CONFLICT = "payment_conflict"
STORE_FAILED = "store_failed"


@dataclass(frozen=True)
class Refusal:
    agent: str
    message_id: str
    seq: int
    type: str
    reason: str                 # one of the constants above
    detail: str                 # what the agent is told; never a card number
    envelope: str | None = None  # the text to keep (redacted), None to keep nothing

    @classmethod
    def of(cls, envelope: Envelope, reason: str, detail: str, keep: str | None = None) -> "Refusal":
        return cls(envelope.agent, envelope.id, envelope.seq, envelope.type, reason,
                   card_numbers.redact(detail)[:400], card_numbers.redact(keep) if keep is not None else None)

    def ack_reason(self) -> str:
        return f"{self.reason}: {self.detail}"[:200]


def store_refusals(conn: Connection, refusals: list[Refusal], ack_of: dict[tuple[str, str], str],
                   received_at: str) -> None:
    """Keep refusals (not kept before), each naming the acks message that told the agent."""
    insert_rows(conn, refused_events, [
        {"agent_id": r.agent, "message_id": r.message_id, "seq": r.seq, "type": r.type, "reason": r.reason,
         "detail": r.detail, "received_at": received_at, "envelope": r.envelope,
         "ack": ack_of[(r.agent, r.message_id)]} for r in refusals])
