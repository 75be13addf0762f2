"""The delivery tables: the case-system registry, one delivery row per confirmation, and
every attempt made.

Times are the hub's RFC 3339 UTC strings (see tables.py): they sort as text, so
"due" is `next_attempt_at <= now` on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, false

from hub.store.metadata import metadata

# A case system we send confirmations to and ask about cases.
case_systems = Table(
    "case_systems", metadata,
    Column("name", String(64), primary_key=True),
    Column("patterns", Text, nullable=False),               # JSON list of {"on": …, "regex": …}
    Column("priority", Integer, nullable=False, default=100),  # lower is tried first when several match
    Column("webhook_url", String(500), nullable=False),
    Column("secret", String(200), nullable=False),          # whsec_… (needed in clear to sign)
    Column("previous_secret", String(200)),                 # still signed with during a rotation
    Column("lookup_url", String(500)),                      # may hold {ref}
    Column("enabled", Boolean, nullable=False, default=True),
    Column("disabled_reason", String(400)),                 # e.g. "answered 410 Gone at …"
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    # Marked by an admin: may be called on loopback, link-local or private addresses.
    Column("internal", Boolean, nullable=False, default=False, server_default=false()),
)

# One confirmation for one event, to one case system (or waiting for one: 'unrouted').
deliveries = Table(
    "deliveries", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("webhook_id", String(64), nullable=False, unique=True),   # the webhook-id header, same on every retry
    Column("event_id", String(64), nullable=False, unique=True),     # the agent envelope's message id
    Column("agent_id", String(64), nullable=False),
    Column("type", String(40), nullable=False),                      # payment.confirmed | payment.voided
    Column("case_system", String(64)),                               # NULL while unrouted
    Column("case_key", String(200), nullable=False),                 # per-case ordering key
    Column("payload", Text, nullable=False),                         # the exact body sent, fixed at enqueue
    Column("status", String(16), nullable=False),                    # pending | delivered | dead | unrouted
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", String(40), nullable=False),
    Column("window_started_at", String(40), nullable=False),         # start of the current retry window
    Column("next_attempt_at", String(40), nullable=False),
    Column("last_attempt_at", String(40)),
    Column("last_status", Integer),                                  # HTTP status of the last attempt
    Column("last_error", String(400)),
    Column("delivered_at", String(40)),
    Column("dead_at", String(40)),
    Column("replays", Integer, nullable=False, default=0),
    Column("lease_owner", String(64)),                               # a worker sending it right now
    Column("lease_until", String(40)),
)
Index("ix_deliveries_status_next", deliveries.c.status, deliveries.c.next_attempt_at)
# The dashboard's backlog and dead letters of one office's agents, from the index alone (0021).
Index("ix_deliveries_status_agent", deliveries.c.status, deliveries.c.agent_id)
Index("ix_deliveries_case_order", deliveries.c.case_system, deliveries.c.case_key, deliveries.c.status,
      deliveries.c.id)
Index("ix_deliveries_created", deliveries.c.created_at)

# Every attempt, so "what happened to my confirmation" has an answer.
delivery_attempts = Table(
    "delivery_attempts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("delivery_id", BigInteger, nullable=False),
    Column("at", String(40), nullable=False),
    Column("http_status", Integer),
    Column("error", String(400)),
    Column("duration_ms", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),        # delivered | retry | gone | dead | lease_lost
    Column("next_attempt_at", String(40)),
)
Index("ix_delivery_attempts_delivery", delivery_attempts.c.delivery_id, delivery_attempts.c.id)

DELIVERY_TABLES = (case_systems, deliveries, delivery_attempts)
