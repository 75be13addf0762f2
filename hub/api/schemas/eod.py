"""Terminal end-of-day reports as the API lists them: the reported and the hub's figures side by side."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub.api.schemas.base import Schema


class ReportedFigures(Schema):
    source: Literal["terminal", "journal"] = Field(
        description="terminal: the terminal's batch totals; journal: the agent's, when the terminal gave none")
    count: int | None = Field(description="payments in the batch; null when the terminal gave an amount only")
    total_minor: int


class HubFigures(Schema):
    count: int = Field(description="card payments of the batch the hub holds, voided ones left out")
    total_minor: int = Field(description="their amount less refunds, in the report's currency")


class EodDifference(Schema):
    kind: Literal["count", "amount", "missing_at_hub", "not_in_batch"] = Field(
        description="count or amount: the figures differ (per currency); missing_at_hub: the batch lists "
                    "a payment the hub has not got; not_in_batch: the hub has a payment the batch does not list")
    currency: str | None = None
    reported: int | None = None
    hub: int | None = None
    payment_id: str | None = None


class EodReportRow(Schema):
    id: int
    agent_id: str
    office: str | None
    terminal_id: str | None
    batch_id: str
    batch_no: int | None = Field(description="the agent's batch number; null: compared by the time window")
    currency: str
    opened_at: str | None = Field(description="the batch's window: from (the previous close) ...")
    closed_at: str = Field(description="... to the close, by the agent's clock")
    received_at: str
    status: Literal["matched", "mismatch"]
    reported: ReportedFigures
    hub: HubFigures
    journal: dict[str, dict[str, int]] = Field(description="the agent's journal totals by tender")
    per_scheme: dict[str, dict[str, int]] | None = Field(description="the terminal's totals by card scheme")
    agent_mismatch: bool = Field(description="the agent found the terminal and its journal differ")
    differences: list[EodDifference]
    evaluated_at: str = Field(description="when the hub last compared it (again when a payment of it arrives)")


class EodReportPage(Schema):
    total: int = Field(description="reports matching the filter, not only this page")
    reports: list[EodReportRow]
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the page after this one")
    prev_cursor: str | None = Field(default=None, description="pass as `cursor` for the page before this one")


