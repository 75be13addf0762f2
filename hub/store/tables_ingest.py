"""The ingest's records of events it did not take as they came: refused and conflicting ones.

`refused_events`: every event the hub answered with a `rejected` ack (a card number in
a free-text field, another office than the agent's, a second version of a payment, a
message the store could not hold), so that a re-send is refused again the same way and
the agent's sequence is not taken for a gap.  The body is kept only where it holds no
card number, and redacted even then.

`payment_conflicts`: a payment id sent again under a new message id with a different
body.  The first stored payment stands; the second version is kept here for a person
to look at, never applied.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, Text, UniqueConstraint

from hub.store.metadata import metadata

refused_events = Table(
    "refused_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("reason", String(40), nullable=False),        # card_number | office_mismatch | payment_conflict | store_failed
    Column("detail", String(400), nullable=False),       # what the agent was told, no card number in it
    Column("received_at", String(40), nullable=False),
    Column("envelope", Text),                            # redacted text, or none when it held a card number
    Column("ack", Text, nullable=False),                 # id of the acks message (acks_sent) that refused it
    UniqueConstraint("agent_id", "message_id", name="uq_refused_events_agent_message"),
)
Index("ix_refused_events_agent_seq", refused_events.c.agent_id, refused_events.c.seq)

payment_conflicts = Table(
    "payment_conflicts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),    # the second version's message id
    Column("stored_message_id", String(64), nullable=False),   # the version that stands
    Column("differences", String(400), nullable=False),  # fields that differ, comma-separated
    Column("body", JSON, nullable=False),                # the second version's body, as sent
    Column("received_at", String(40), nullable=False),
    UniqueConstraint("agent_id", "message_id", name="uq_payment_conflicts_agent_message"),
)
Index("ix_payment_conflicts_received", payment_conflicts.c.received_at)

INGEST_TABLES = (refused_events, payment_conflicts)
