"""Reconciliation's tables: imported files, statement lines, reporting flows and their payments.

`finance_imports`: one row per file taken in, by the SHA-256 of its bytes, so the same
file imported twice adds nothing (and the second import says which import it was).

`statement_lines`: one row per booked movement, keyed by `line_key`, a hash of the
line's content and account fixed at import (hub/finance/reconcile/keys.py): a bank that
re-sends a statement in a new file with the same lines adds nothing either.  What the
line's remittance text says (kind, flow id, IUV, RF) is read once at import and kept.

`flows`: pagoPA reporting flows, unique by (office, flow id, PSP, revision) because flow
ids are unique per PSP only within one creditor; `flow_payments` what each settles.

Every line, flow and flow payment has a `status` (matched | waiting | anomaly | ignored)
and a `reason` code saying why (hub/finance/reconcile/status.py lists them); matching
rewrites both on every run until an item is matched, ignored or resolved by hand
(`resolved_at`), and `reconcile_resolutions` keeps who resolved what, when and why.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint

from hub.store.metadata import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

finance_imports = Table(
    "finance_imports", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),            # statement | flow
    Column("format", String(16), nullable=False),          # fdr | camt.053 | camt.054 | mt940 | csv
    Column("file_name", String(300)),
    Column("office", String(64), nullable=False),
    Column("account_iban", String(34)),                    # statements: the account it was imported for
    Column("items", Integer, nullable=False),              # lines or flow payments in the file
    Column("added", Integer, nullable=False),              # of which were new (a re-sent statement: 0)
    Column("imported_at", String(40), nullable=False),
    Column("imported_by", String(100), nullable=False),
)

statement_lines = Table(
    "statement_lines", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("line_key", String(64), nullable=False, unique=True),
    Column("import_id", BigInteger, nullable=False),
    Column("office", String(64), nullable=False),
    Column("account_iban", String(34), nullable=False),
    Column("statement_id", String(100)),
    Column("position", Integer, nullable=False),
    Column("booking_date", String(10), nullable=False),
    Column("value_date", String(10)),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit", Boolean, nullable=False),
    Column("reversal", Boolean, nullable=False),
    Column("description", Text, nullable=False),
    Column("structured_reference", String(64)),
    Column("bank_reference", String(100)),
    Column("counterparty", String(200)),
    Column("kind", String(16), nullable=False),            # pagopa-flow | pagopa-single | rf | none
    Column("flow_id", String(35)),
    Column("iuv", String(35)),
    Column("reference", String(35)),
    Column("remittance_amount_minor", BigInteger),
    Column("remittance_errors", Text),                     # JSON list of readable strings
    Column("status", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("flow_row", BigInteger),                        # flows.id it pays
    Column("order_id", String(32)),
    Column("payment_row", BigInteger),                     # payments.id it became (single and RF lines)
    Column("imported_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolved_by", String(100)),
    Column("resolution_note", String(1000)),
)
Index("ix_statement_lines_status", statement_lines.c.status, statement_lines.c.id)
Index("ix_statement_lines_flow", statement_lines.c.flow_id)

flows = Table(
    "flows", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("import_id", BigInteger, nullable=False),
    Column("office", String(64), nullable=False),
    Column("flow_id", String(35), nullable=False),
    Column("psp_id", String(35), nullable=False),
    Column("revision", String(40), nullable=False),        # dataOraFlusso as ISO text: sorts as time
    Column("psp_name", String(140)),
    Column("bic", String(11)),
    Column("settlement_ref", String(35), nullable=False),
    Column("settlement_date", String(10), nullable=False),
    Column("creditor_id", String(35), nullable=False),
    Column("creditor_name", String(140)),
    Column("total_count", Integer, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("line_row", BigInteger),                        # statement_lines.id that pays it
    Column("imported_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolved_by", String(100)),
    Column("resolution_note", String(1000)),
    UniqueConstraint("office", "flow_id", "psp_id", "revision", name="uq_flows_key"),
)
Index("ix_flows_status", flows.c.status, flows.c.id)
Index("ix_flows_flow", flows.c.flow_id, flows.c.office)

flow_payments = Table(
    "flow_payments", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("flow_row", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("office", String(64), nullable=False),
    Column("iuv", String(35), nullable=False),
    Column("iur", String(35), nullable=False),
    Column("payment_index", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("outcome", Integer, nullable=False),
    Column("outcome_date", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("order_id", String(32)),
    Column("payment_row", BigInteger),                     # payments.id it became
    Column("resolved_at", String(40)),
    Column("resolved_by", String(100)),
    Column("resolution_note", String(1000)),
    UniqueConstraint("flow_row", "position", name="uq_flow_payments_flow_position"),
)
Index("ix_flow_payments_status", flow_payments.c.status, flow_payments.c.id)
Index("ix_flow_payments_iuv", flow_payments.c.iuv)

reconcile_resolutions = Table(
    "reconcile_resolutions", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("subject", String(16), nullable=False),          # line | flow | payment
    Column("subject_row", BigInteger, nullable=False),
    Column("previous_status", String(16), nullable=False),
    Column("previous_reason", String(40), nullable=False),
    Column("note", String(1000), nullable=False),
    Column("resolved_by", String(100), nullable=False),
    Column("resolved_at", String(40), nullable=False),
)

RECONCILE_TABLES = (finance_imports, statement_lines, flows, flow_payments, reconcile_resolutions)
