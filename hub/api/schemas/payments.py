"""Stored payments as the API lists them, one with its event body, linking by hand, and
the conflicting second versions of payments kept apart."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocol.domain import TenderValue
from hub.api.schemas.base import Schema
from hub.free_text import FreeText
from hub.linking.search import COUNT_UP_TO

# How a payment was made: at a counter (card, cash), or found by reconciliation (pagoPA, bank transfer).
PaymentTender = TenderValue | Literal["pagopa", "transfer"]
Channel = Literal["counter", "pagopa", "bank"]


class PaymentRow(Schema):
    id: int = Field(description="the hub's row id, used in /payments/{id}")
    agent_id: str
    payment_id: str
    message_id: str
    receipt_id: str
    office: str
    kind: Literal["payment", "refund"]
    amount_minor: int
    currency: str
    tender: PaymentTender
    channel: Channel = Field(description="counter: taken by an agent; pagopa, bank: found by reconciliation "
                                         "in a reporting flow or on a bank statement")
    reference_format: str
    reference_value: str | None
    order_ref: str | None = Field(description="the order id the agent named, if any")
    case_ref: str | None = Field(description="the case the agent named, if any")
    payer_name: str | None
    payer_id: str | None
    operator: str | None
    captured_at: str
    received_at: str
    voided_at: str | None
    void_reason: str | None
    link_status: Literal["linked", "unlinked"]
    link_method: str | None = Field(description="order_id | rf | pagopa | zbp | case | manual")
    linked_order_id: str | None
    linked_case_ref: str | None
    link_note: str | None = Field(description="why it is unlinked, or who linked it by hand")
    handling_fee_minor: int = Field(default=0, description="the handling fee charged with the payment, in amount_minor; it does not count towards the order")


class VoidDetails(Schema):
    voided_at: str
    reason: str
    operator: str | None = Field(description="who voided it at the desk (absent from older agents)")
    approved_by: str | None = Field(description="the supervisor whose desk login approved the void")
    receipt_id: str | None = Field(description="the void receipt the desk printed")


class Payment(PaymentRow):
    body: dict[str, Any] = Field(description="the body of the agent's payment event")
    void: VoidDetails | None = Field(default=None, description="the void of this payment at the desk, if voided")


class PaymentPage(Schema):
    total: int = Field(description=f"payments matching the filter, not only this page, counted up to "
                                   f"{COUNT_UP_TO:,}: when more match it is {COUNT_UP_TO:,} and total_exact is false")
    total_exact: bool = Field(description=f"false when more than {COUNT_UP_TO:,} payments match "
                                          f"(total is then {COUNT_UP_TO:,})")
    payments: list[PaymentRow]
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the page after this one")
    prev_cursor: str | None = Field(default=None, description="pass as `cursor` for the page before this one")


class PaymentConflict(Schema):
    agent_id: str
    payment_id: str
    message_id: str = Field(description="the second version's message id")
    stored_message_id: str = Field(description="the message id of the version that was stored and stands")
    differences: list[str] = Field(description="the body fields whose values differ")
    body: dict[str, Any] = Field(description="the second version's body, as the agent sent it")
    received_at: str


class PaymentConflicts(Schema):
    conflicts: list[PaymentConflict] = Field(description="newest first")


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: FreeText | None = Field(default=None, max_length=64)
    case_ref: FreeText | None = Field(default=None, max_length=200)
    note: FreeText | None = Field(default=None, max_length=400)
