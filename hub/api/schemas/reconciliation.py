"""Reconciliation as the API shows it: statement lines, flows and flow payments with their
status and reason, an import's outcome, a run's counts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub.api.schemas.base import Schema

Status = Literal["matched", "waiting", "anomaly", "ignored"]
REASON = "why it has its status: a code from hub/finance/reconcile/status.py (amount_differs, unknown_iuv, …)"


class Resolution(Schema):
    at: str
    by: str
    note: str


class StatementLineItem(Schema):
    id: int
    status: Status
    reason: str = Field(description=REASON)
    kind: Literal["pagopa-flow", "pagopa-single", "rf", "none"] = Field(description="what its remittance text names")
    flow_id: str | None
    iuv: str | None
    reference: str | None = Field(description="the RF it names, compact")
    amount_minor: int
    currency: str
    credit: bool
    reversal: bool
    booking_date: str
    description: str
    bank_reference: str | None
    office: str
    account: str = Field(description="the bank account's IBAN")
    statement_id: str | None
    position: int
    errors: list[str] = Field(description="what was wrong with the remittance text (a truncated flow id, …)")
    flow: int | None = Field(description="id of the flow it pays")
    order_id: str | None
    payment: int | None = Field(description="id (/payments/{id}) of the payment it became")
    resolution: Resolution | None


class FlowItem(Schema):
    id: int
    status: Status
    reason: str = Field(description=REASON)
    flow_id: str
    psp_id: str
    psp_name: str | None
    revision: str = Field(description="dataOraFlusso")
    office: str
    settlement_date: str
    settlement_ref: str
    total_count: int
    amount_minor: int = Field(description="importoTotalePagamenti")
    line: int | None = Field(description="id of the statement line that pays it")
    resolution: Resolution | None


class FlowPaymentItem(Schema):
    id: int
    status: Status
    reason: str = Field(description=REASON)
    flow_id: str
    psp_id: str
    iuv: str
    iur: str
    index: int
    amount_minor: int
    outcome: int = Field(description="codiceEsitoSingoloPagamento: 0, 3 (revoked), 4, 8, 9")
    outcome_date: str
    office: str
    order_id: str | None
    payment: int | None = Field(description="id (/payments/{id}) of the payment it became")
    resolution: Resolution | None


class Report(Schema):
    lines: list[StatementLineItem]
    flows: list[FlowItem]
    payments: list[FlowPaymentItem]


class _Page(Schema):
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the page after this one")
    prev_cursor: str | None = Field(default=None, description="pass as `cursor` for the page before this one")


class LinePage(_Page):
    items: list[StatementLineItem]


class FlowPage(_Page):
    items: list[FlowItem]


class FlowPaymentPage(_Page):
    items: list[FlowPaymentItem]


class StatusCounts(Schema):
    matched: int = 0
    waiting: int = 0
    anomaly: int = 0
    ignored: int = 0


class RunResult(Schema):
    lines: StatusCounts
    flows: StatusCounts
    payments: StatusCounts
    changed: int = Field(description="items whose status or reason this run changed")
    payments_made: int = Field(description="payments stored by this run, each confirmed to its case system once")


class ImportResult(Schema):
    import_id: int
    kind: Literal["statement", "flow"]
    items: int = Field(description="lines or flow payments in the file")
    added: int = Field(description="of which were new")
    already_imported: bool = Field(description="the same file was imported before: nothing was added")
    first_imported_at: str | None
    office: str
    account: str | None
    run: RunResult | None = Field(description="the matching run after the import; null when nothing was added")


class ResolveRequest(Schema):
    note: str = Field(min_length=1, max_length=1000, description="why the anomaly is settled (audited)")
