"""A case's payments and payment orders."""

from __future__ import annotations

from pydantic import Field

from hub.api.schemas.base import Schema
from hub.api.schemas.orders import Order
from hub.api.schemas.payments import PaymentRow


class CasePayments(Schema):
    case_ref: str
    paid_minor: int = Field(description="the case's payments, refunds negative, voids not counted")
    payments: list[PaymentRow]
    orders: list[Order]
