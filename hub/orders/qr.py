"""The QR payload printed on an order notice.

Our own signed order code (`protocol.qr.cp_order.make`) when that module is there;
for a pagoPA order the pagoPA notice QR (`PAGOPA|002|notice|creditor|cents`) that any
pagoPA channel can scan; otherwise the bare RF reference.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from protocol.keys import SigningKey


def _cp_order_module():
    try:
        return importlib.import_module("protocol.qr.cp_order")
    except ModuleNotFoundError:
        return None


def order_qr(order: dict[str, Any], key: SigningKey, creditor_fiscal_code: str) -> str:
    module = _cp_order_module()
    if module is not None and hasattr(module, "make"):
        offered = {"order_id": order["order_id"], "amount_minor": order["amount_minor"],
                   "currency": order["currency"], "reference": order["reference"],
                   "case_ref": order.get("case_ref"), "payer_name": order.get("payer_name"),
                   "payer_id": order.get("payer_id"), "due_date": order.get("due_date"),
                   "description": order.get("description"), "key": key}
        parameters = inspect.signature(module.make).parameters
        return module.make(**{name: value for name, value in offered.items() if name in parameters})
    if order["reference_format"] == "pagopa":
        return f"PAGOPA|002|{order['reference']}|{creditor_fiscal_code}|{order['amount_minor'] or 0}"
    return order["reference"]
