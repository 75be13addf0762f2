"""Payment orders with what their payments add up to, and the result of a CSV import."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub.api.schemas.base import Schema
from hub.api.schemas.payments import Channel, PaymentTender


class OrderPayment(Schema):
    id: int
    payment_id: str
    agent_id: str
    office: str
    captured_at: str
    amount_minor: int
    currency: str
    tender: PaymentTender
    kind: Literal["payment", "refund"]
    voided_at: str | None
    link_method: str | None
    receipt_id: str
    channel: Channel = Field(description="counter, pagopa or bank")
    handling_fee_minor: int = Field(default=0, description="the handling fee charged with the payment, in amount_minor; it does not count towards the order")


class Order(Schema):
    order_id: str
    amount_kind: Literal["fixed", "open"]
    amount_minor: int | None = Field(description="required for fixed; the expected total for open")
    currency: str
    reference_format: str = Field(description="rf | pagopa | zbp")
    reference: str
    iuv: str | None
    case_ref: str | None
    payer_name: str | None
    payer_id: str | None
    payer_email: str | None = Field(default=None, description="where its notice is mailed")
    payer_language: str | None = Field(default=None, description="the payer's language: en, it, pl, lv or el")
    payer_address: str | None = Field(default=None, description="postal address, lines separated by newlines")
    description: str | None
    due_date: str | None
    qr_payload: str | None = Field(description="the signed cp-order QR, when the hub has an order key")
    created_at: str
    created_by: str
    positions: list[str] = Field(description="fee catalogue position codes")
    office: str | None = Field(default=None, description="the office the order belongs to")
    cancelled_at: str | None = Field(default=None, description="when it was cancelled (unpaid orders only)")
    cancelled_by: str | None = None
    cancel_reason: str | None = Field(default=None, description="why: payments naming it stay unlinked with it")
    amount_changed_at: str | None = Field(default=None, description="when its amount last changed: the desks "
                                          "refuse a notice printed before, with the old amount")
    account_iban: str | None = Field(default=None, description="the IBAN of the bank account it is paid into")
    paid_minor: int = Field(description="linked payments, refunds negative, voids not counted")
    status: Literal["unpaid", "partly_paid", "paid", "overpaid"]
    outstanding_minor: int | None
    payments: list[OrderPayment]


class ImportedOrder(Schema):
    order_id: str
    reference: str


class OrdersImported(Schema):
    created: int
    orders: list[ImportedOrder]
