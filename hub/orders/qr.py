"""The QR payload printed on an order notice: our signed order code.

`protocol.qr.cp_order` signs it with the hub's order key, so a cash point with no
link to the case systems verifies it offline.  An order with no due date stays
valid for DEFAULT_VALIDITY_DAYS.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from protocol.keys import SigningKey
from protocol.qr import cp_order

DEFAULT_VALIDITY_DAYS = 365


def order_code(order: dict[str, Any], kid: str = "") -> cp_order.PaymentOrderCode:
    expires = order.get("due_date") or (dt.date.today() + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)).isoformat()
    return cp_order.PaymentOrderCode(
        order_id=order["order_id"], case_ref=order.get("case_ref") or "",
        amount_minor=order["amount_minor"] if order["amount_kind"] == "fixed" else None,
        currency=order["currency"], positions=tuple(c for c in (order.get("positions") or "").split(",") if c),
        payer_name=order.get("payer_name") or "", payer_id=order.get("payer_id") or "",
        expires=expires, kid=kid)


def order_qr(order: dict[str, Any], key: SigningKey) -> str:
    return cp_order.make(order_code(order, key.kid), key)


def pagopa_qr(order: dict[str, Any], creditor_fiscal_code: str) -> str:
    """The pagoPA notice QR that any pagoPA channel can scan (amount in cents)."""
    return f"PAGOPA|002|{order['reference']}|{creditor_fiscal_code}|{order['amount_minor'] or 0}"
