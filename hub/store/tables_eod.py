"""Terminal end of day at the hub: the batch reports agents send and the card payments they cover.

`eod_reports`: one row per closed terminal batch (`eod.report`), unique by agent and
batch id, with the hub's verdict kept beside the reported figures: `status` matched or
mismatch, the hub's figures and every difference (`differences`, JSON).  The verdict is
worked out again whenever a payment or void of that batch arrives (hub/finance/eod/), so
a mismatch clears itself when a late payment lands.  `attention` is the list order of
the console and the API: mismatches first, newest first, as one keyset-pageable column.

`eod_card_payments`: each card payment the hub stored, by the batch the agent says it
belongs to (`batch_no`, from `card.batch_no`) and its terminal, so a report's figures
are one indexed query.  Payments of agents too old to number batches have no batch_no
and are counted by the report's time window instead.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, UniqueConstraint

from hub.store.metadata import metadata

eod_reports = Table(
    "eod_reports", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("agent_id", String(64), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("batch_no", BigInteger),                    # the agent's batch number; NULL: compared by window
    Column("terminal_id", String(64)),
    Column("office", String(64)),                      # the report's, else the agent's enrolled office
    Column("currency", String(3), nullable=False),
    Column("opened_at", String(40)),                   # the window: since the previous close ...
    Column("closed_at", String(40), nullable=False),   # ... until this one (the agent's clock)
    Column("received_at", String(40), nullable=False),
    Column("reported_count", BigInteger),              # the terminal's totals, or the journal's without them
    Column("reported_total_minor", BigInteger),
    Column("reported_source", String(16), nullable=False),   # terminal | journal
    Column("hub_count", BigInteger, nullable=False),   # the hub's figures for the report's currency
    Column("hub_total_minor", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),      # matched | mismatch
    Column("differences", JSON, nullable=False),       # [{kind, currency, reported…, hub…, payment_id}]
    Column("attention", String(48), nullable=False),   # "1<closed_at>" for a mismatch, "0<closed_at>" else
    Column("evaluated_at", String(40), nullable=False),
    Column("body", JSON, nullable=False),              # the report as sent
    UniqueConstraint("agent_id", "batch_id", name="uq_eod_reports_agent_batch"),
)
Index("ix_eod_reports_attention", eod_reports.c.attention, eod_reports.c.id)
Index("ix_eod_reports_closed", eod_reports.c.closed_at, eod_reports.c.id)
Index("ix_eod_reports_agent_batch_no", eod_reports.c.agent_id, eod_reports.c.batch_no)
Index("ix_eod_reports_agent_closed", eod_reports.c.agent_id, eod_reports.c.closed_at)
Index("ix_eod_reports_status", eod_reports.c.status)

eod_card_payments = Table(
    "eod_card_payments", metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("payment_id", String(64), primary_key=True),
    Column("batch_no", BigInteger),
    Column("terminal_id", String(64)),
    Column("currency", String(3), nullable=False),
    Column("captured_at", String(40), nullable=False),
)
# One index for both ways of finding a batch's payments: by number, and (batch_no NULL,
# older agents) by a range of capture times.  Each index costs every card payment's insert.
Index("ix_eod_card_payments_batch", eod_card_payments.c.agent_id, eod_card_payments.c.batch_no, eod_card_payments.c.captured_at)

EOD_TABLES = (eod_reports, eod_card_payments)
