"""The hub's core tables: events, payments, agents, orders, catalogue, tokens, audit.

Times are RFC 3339 UTC strings ('2026-11-22T12:00:00.000Z'): they sort as text and
read the same on SQLite and PostgreSQL.  Money is integer minor units (BigInteger).
"""

from __future__ import annotations

from sqlalchemy import (DDL, JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, Text,
                        UniqueConstraint, event, text)

from hub.store.metadata import metadata

# Every envelope accepted from an agent, exactly once per (agent, message id).
events = Table(
    "events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("time", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("envelope", Text, nullable=False),         # the exact bytes received (canonical JSON)
    Column("ack", Text, nullable=False),              # id of the acks message (acks_sent) that acked it
    UniqueConstraint("agent_id", "message_id", name="uq_events_agent_message"),
)
Index("ix_events_agent_seq", events.c.agent_id, events.c.seq)

payments = Table(
    "payments", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("payment_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("receipt_id", String(64), nullable=False),
    Column("office", String(64), nullable=False),
    Column("kind", String(16), nullable=False),           # payment | refund
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tender", String(16), nullable=False),          # card | cash
    Column("reference_format", String(16), nullable=False),
    Column("reference_value", String(200)),
    Column("order_ref", String(64)),                        # order id the agent named, if any
    Column("case_ref", String(200)),                        # case the agent named, if any
    Column("payer_name", String(200)),
    Column("payer_id", String(64)),
    Column("operator", String(64)),
    Column("captured_at", String(40), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("voided_at", String(40)),
    Column("void_reason", String(200)),
    Column("link_status", String(16), nullable=False),      # linked | unlinked
    Column("link_method", String(40)),                      # order_id | rf | pagopa | zbp | case | manual
    Column("linked_order_id", String(64)),
    Column("linked_case_ref", String(200)),
    Column("link_note", String(400)),                       # why unlinked, or who linked by hand
    # counter: from an agent; pagopa, bank: found by reconciliation in a flow or a statement (migration 0018)
    Column("channel", String(16), nullable=False, server_default="counter", default="counter"),
    Column("body", JSON, nullable=False),
    # The handling fee charged with the payment (in amount_minor; body.handling_fee on its tender): it is
    # the office's, so it does not count towards the order (0025).  A fee taken apart is not in it.
    Column("handling_fee_minor", BigInteger, nullable=False, server_default=text("0"), default=0),
    UniqueConstraint("agent_id", "payment_id", name="uq_payments_agent_payment"),
)
# Keyset pages (hub/store/paging.py): one index per list order, the tie-breaker last.
Index("ix_payments_captured", payments.c.captured_at, payments.c.id)
Index("ix_payments_office_captured", payments.c.office, payments.c.captured_at, payments.c.id)
Index("ix_payments_amount", payments.c.amount_minor, payments.c.id)
Index("ix_payments_office_amount", payments.c.office, payments.c.amount_minor, payments.c.id)  # 0014
Index("ix_payments_payer", payments.c.payer_id)
Index("ix_payments_order", payments.c.linked_order_id)
Index("ix_payments_case", payments.c.linked_case_ref)
Index("ix_payments_reference", payments.c.reference_value)
# The unlinked (or linked) list in its order; it replaced ix_payments_link_status (0014),
# with which a search by status sorted every unlinked payment to show one page.
Index("ix_payments_status_captured", payments.c.link_status, payments.c.captured_at, payments.c.id)
# The unlinked cash (or card) list in its order, its total counted from the index alone (0021).
Index("ix_payments_status_tender_captured", payments.c.link_status, payments.c.tender, payments.c.captured_at,
      payments.c.id)
# The dashboard's unlinked count reads this index alone, whatever the share of unlinked
# rows (migration 0014); queries must name the literal values for the index to apply.
# link_status and voided_at lead, constant as they are, so that SQLite, which has no
# statistics, sees two terms matched here against one above and prefers this index.
Index("ix_payments_unlinked_office", payments.c.link_status, payments.c.voided_at, payments.c.office,
      sqlite_where=text("link_status = 'unlinked' AND voided_at IS NULL"),
      postgresql_where=text("link_status = 'unlinked' AND voided_at IS NULL"))
# Part of a payer's name (hub/linking/search.py, hub/orders/search.py), migration 0014: on
# PostgreSQL a trigram index that ILIKE '%name%' uses (pg_trgm, installed in schema public);
# on SQLite a plain index, which a count reads instead of the whole table's rows.
Index("ix_payments_payer_name", payments.c.payer_name, postgresql_using="gin",
      postgresql_ops={"payer_name": "public.gin_trgm_ops"})
event.listen(payments, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public").execute_if(dialect="postgresql"))

# A void may arrive before the payment it voids (replays come in any order): it is
# kept here and applied to the payment whichever arrives second.
voids = Table(
    "voids", metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("payment_id", String(64), primary_key=True),
    Column("message_id", String(64), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("voided_at", String(40), nullable=False),
    Column("operator", String(64)),             # who voided it at the desk
    Column("approved_by", String(64)),          # the supervisor whose login approved it
    Column("receipt_id", String(64)),           # the void receipt the desk printed
)

agents = Table(
    "agents", metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("online", Boolean, nullable=False, default=False),
    Column("incarnation", BigInteger),
    Column("will_incarnation", BigInteger),                 # last incarnation whose will was seen
    Column("version", String(64)),
    Column("mode", String(64)),
    Column("outbox_depth", Integer),
    Column("oldest_age_s", Integer),
    Column("state_at", String(40)),                         # time of the last birth or will applied
    Column("last_seen", String(40)),
    Column("contiguous_seq", BigInteger, nullable=False, default=0),   # every seq ≤ this is stored
    Column("max_seq", BigInteger, nullable=False, default=0),
    Column("replay_from", BigInteger),                      # last replay asked for, and when
    Column("replay_at", String(40)),
    # When the current sequence gap was first seen.  Databases made before migration
    # 0004 get it from 0004; newer ones from 0001 (0004 then finds it and does nothing).
    Column("gap_since", String(40)),
)

orders = Table(
    "orders", metadata,
    Column("order_id", String(32), primary_key=True),
    Column("amount_kind", String(8), nullable=False),       # fixed | open
    Column("amount_minor", BigInteger),                     # required for fixed; expected total for open
    Column("currency", String(3), nullable=False),
    Column("reference_format", String(16), nullable=False),  # rf | pagopa | zbp
    Column("reference", String(64), nullable=False, unique=True),
    Column("iuv", String(32)),
    Column("case_ref", String(200)),
    Column("payer_name", String(200)),
    Column("payer_id", String(64)),
    Column("description", String(400)),
    Column("due_date", String(10)),
    Column("qr_payload", Text),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("positions", String(1000)),                      # catalogue codes, comma-separated (migration 0005)
    Column("office", String(64)),                           # the office it belongs to (migration 0010)
    Column("cancelled_at", String(40)),                     # cancelled while unpaid (migration 0011)
    Column("cancelled_by", String(100)),
    Column("cancel_reason", String(400)),
    Column("amount_changed_at", String(40)),                # its printed amount no longer holds (migration 0016)
    Column("account_iban", String(34)),                     # the bank account it is paid into (migration 0017)
    Column("payer_email", String(254)),                     # where its notice is mailed (migration 0020)
    Column("payer_language", String(5)),                    # the payer's language for notices and e-mails
    Column("payer_address", String(400)),                   # postal address, lines separated by newlines
)
Index("ix_orders_case", orders.c.case_ref)
Index("ix_orders_iuv", orders.c.iuv)
Index("ix_orders_payer", orders.c.payer_id)
Index("ix_orders_created", orders.c.created_at, orders.c.order_id)
Index("ix_orders_due", orders.c.due_date, orders.c.order_id)
Index("ix_orders_office_created", orders.c.office, orders.c.created_at, orders.c.order_id)
Index("ix_orders_office_due", orders.c.office, orders.c.due_date, orders.c.order_id)
Index("ix_orders_payer_name", orders.c.payer_name, postgresql_using="gin",
      postgresql_ops={"payer_name": "public.gin_trgm_ops"})

catalogue_versions = Table(
    "catalogue_versions", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),           # draft | published | superseded
    Column("document", JSON, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("published_at", String(40)),
    Column("office", String(64)),                           # NULL: the shared catalogue; else that office's (0025)
)
Index("ix_catalogue_versions_office_status", catalogue_versions.c.office, catalogue_versions.c.status)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("revoked_at", String(40)),
    Column("case_system", String(64)),      # the one case system a case-system token answers for
    Column("offices", JSON),                # list of office codes the token may see; NULL: every office
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("details", Text, nullable=False),                # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

# Every signed acks message the hub sent (evidence of what each agent was told); one
# message acks all of an agent's events in one committed batch.
acks_sent = Table(
    "acks_sent", metadata,
    Column("id", String(64), primary_key=True),       # the acks envelope's message id
    Column("agent_id", String(64), nullable=False),
    Column("sent_at", String(40), nullable=False),
    Column("envelope", Text, nullable=False),         # the exact signed bytes published
)

CORE_TABLES = (events, payments, voids, agents, orders, catalogue_versions, api_tokens, audit_log)
