"""0018: reconciliation (imported files, statement lines, pagoPA reporting flows and their
payments, resolutions of anomalies) and payments.channel: counter | pagopa | bank.

Payments that did not come through a counter (a pagoPA payment reported in a flow, a bank
transfer found by its RF) are stored in payments too; every payment stored before this
migration came from a counter, hence the server default.

Frozen as released, on this module's own `MetaData` (hub/store/tables_reconcile.py and
hub/store/tables.py describe the tables as they are now); idempotent.
"""

from sqlalchemy import (BigInteger, Boolean, Column, Connection, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, inspect)

_metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
})

_ID = BigInteger().with_variant(Integer, "sqlite")

_finance_imports = Table(
    "finance_imports", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("format", String(16), nullable=False),
    Column("file_name", String(300)),
    Column("office", String(64), nullable=False),
    Column("account_iban", String(34)),
    Column("items", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("imported_by", String(100), nullable=False),
)

_statement_lines = Table(
    "statement_lines", _metadata,
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
    Column("kind", String(16), nullable=False),
    Column("flow_id", String(35)),
    Column("iuv", String(35)),
    Column("reference", String(35)),
    Column("remittance_amount_minor", BigInteger),
    Column("remittance_errors", Text),
    Column("status", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("flow_row", BigInteger),
    Column("order_id", String(32)),
    Column("payment_row", BigInteger),
    Column("imported_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolved_by", String(100)),
    Column("resolution_note", String(1000)),
)
Index("ix_statement_lines_status", _statement_lines.c.status, _statement_lines.c.id)
Index("ix_statement_lines_flow", _statement_lines.c.flow_id)

_flows = Table(
    "flows", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("import_id", BigInteger, nullable=False),
    Column("office", String(64), nullable=False),
    Column("flow_id", String(35), nullable=False),
    Column("psp_id", String(35), nullable=False),
    Column("revision", String(40), nullable=False),
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
    Column("line_row", BigInteger),
    Column("imported_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolved_by", String(100)),
    Column("resolution_note", String(1000)),
    UniqueConstraint("office", "flow_id", "psp_id", "revision", name="uq_flows_key"),
)
Index("ix_flows_status", _flows.c.status, _flows.c.id)
Index("ix_flows_flow", _flows.c.flow_id, _flows.c.office)

_flow_payments = Table(
    "flow_payments", _metadata,
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
    Column("payment_row", BigInteger),
    Column("resolved_at", String(40)),
    Column("resolved_by", String(100)),
    Column("resolution_note", String(1000)),
    UniqueConstraint("flow_row", "position", name="uq_flow_payments_flow_position"),
)
Index("ix_flow_payments_status", _flow_payments.c.status, _flow_payments.c.id)
Index("ix_flow_payments_iuv", _flow_payments.c.iuv)

_reconcile_resolutions = Table(
    "reconcile_resolutions", _metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("subject", String(16), nullable=False),
    Column("subject_row", BigInteger, nullable=False),
    Column("previous_status", String(16), nullable=False),
    Column("previous_reason", String(40), nullable=False),
    Column("note", String(1000), nullable=False),
    Column("resolved_by", String(100), nullable=False),
    Column("resolved_at", String(40), nullable=False),
)


def upgrade(conn: Connection) -> None:
    _metadata.create_all(conn, checkfirst=True)
    present = {column["name"] for column in inspect(conn).get_columns("payments")}
    if "channel" not in present:
        conn.exec_driver_sql("ALTER TABLE payments ADD COLUMN channel VARCHAR(16) DEFAULT 'counter' NOT NULL")
