"""The columns of each export, in order: a contract with accounting systems.

Finance spreadsheets and accounting imports read these by position as well as by name,
so they are stable: a new column is added at the end, a column is never renamed, removed
or moved (tests/finance/test_exports_columns.py pins them; README "Exports to
accounting" documents each).  Money is integer minor units, always positive; a refund
says so in `kind`.  Dates are YYYY-MM-DD, times RFC 3339 UTC.
"""

from __future__ import annotations

PAYMENT_COLUMNS = (
    "payment_row", "payment_id", "line", "kind", "payment_date", "booking_date", "office", "account",
    "tender", "channel", "status", "order_id", "case_ref", "reference_format", "reference", "iuv",
    "payer_name", "payer_id", "position_code", "position_name", "accounting_code", "quantity",
    "gross_minor", "net_minor", "vat_minor", "vat_rate_bp", "handling_fee_minor", "currency",
    "psp_id", "flow_id", "receipt_id",
)
"""One row per fee position of a payment (one row for a payment without positions)."""

ENTRY_COLUMNS = (
    "entry_row", "kind", "booking_date", "value_date", "office", "account", "amount_minor", "currency",
    "flow_id", "psp_id", "psp_name", "settlement_ref", "settlement_date", "payments_count",
    "payments_matched", "order_id", "iuv", "reference", "statement_id", "bank_reference", "status",
)
"""One accounting entry (reversale) per statement line reconciliation matched."""

FLOW_COLUMNS = (
    "flow_row", "office", "flow_id", "psp_id", "psp_name", "bic", "revision", "settlement_ref",
    "settlement_date", "creditor_id", "creditor_name", "total_count", "total_minor", "payments_matched",
    "currency", "status", "reason", "booking_date", "account", "entry_row", "imported_at", "resolved_at",
    "resolved_by",
)
"""One row per imported pagoPA reporting flow (every revision)."""

ANOMALY_COLUMNS = (
    "subject", "subject_row", "office", "date", "booking_date", "account", "amount_minor", "currency",
    "flow_id", "psp_id", "iuv", "reference", "order_id", "status", "reason", "description",
)
"""One row per statement line, flow or flow payment in status anomaly."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "payments": PAYMENT_COLUMNS,
    "entries": ENTRY_COLUMNS,
    "flows": FLOW_COLUMNS,
    "anomalies": ANOMALY_COLUMNS,
}
KINDS = tuple(COLUMNS)
