"""Finding a payer's position: the order a notice number, IUV or RF names, if the payer id typed
with it is the order's.

Both must match, and a miss must not say which did not: an unknown notice and a known one with
the wrong id take the same path, one indexed query and one constant-time comparison of two
digests of equal length (the typed id's against the order's, or against a secret no one can
type when there is no order), and give the same answer, None.  So neither the page nor its
timing tells anyone which notice numbers exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import Connection, or_, select

from hub.orders.service import order_view
from hub.store.tables import orders
from protocol.domain import ReferenceFormat
from protocol.ids import pagopa, rf

MAX_TYPED = 64                         # the longest reference an order has (orders.reference)
_NO_ONE = secrets.token_bytes(32)      # compared against when there is no order: no typed id equals it
CANCELLED = "cancelled"
"""The status of a cancelled order, beside hub/linking/status.py's unpaid, partly_paid, paid, overpaid."""


def compact(typed: str) -> str:
    """A reference or payer id as compared: its letters and digits, upper case.  What it is printed
    with (spaces between groups of four, dashes, dots, slashes) goes, and so does anything no
    reference holds (a control character, a NUL that PostgreSQL's text cannot even carry)."""
    return "".join(c for c in (typed or "") if c.isalnum()).upper()


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(b"counterpay self-service\0" + value).digest()


def find_position(conn: Connection, reference: str, payer_id: str) -> dict[str, Any] | None:
    """The order's view (hub/orders/service.py order_view, `status` cancelled for a cancelled
    order, `printed_reference` as on the notice) when `reference` names an order and `payer_id` is its payer's; else None."""
    wanted, typed_id = compact(reference)[:MAX_TYPED], compact(payer_id)[:MAX_TYPED]
    rows = conn.execute(select(orders).where(or_(orders.c.reference == wanted, orders.c.iuv == wanted))
                        .order_by(orders.c.created_at, orders.c.order_id).limit(2)).mappings().all()
    # An IUV names one order; should two ever share one, neither is shown: which is meant is unclear.
    order = dict(rows[0]) if len(rows) == 1 else None
    stored = compact(order["payer_id"]).encode() if order and order["payer_id"] else _NO_ONE
    matched = hmac.compare_digest(_digest(typed_id.encode()), _digest(stored))
    if not (matched and order and typed_id):
        return None
    view = order_view(conn, order)
    if order["cancelled_at"]:
        view["status"] = CANCELLED
    view["printed_reference"] = printed(order)
    return view


def printed(order: dict[str, Any]) -> str:
    """The order's reference as its notice prints it: in groups of four."""
    if order["reference_format"] == ReferenceFormat.PAGOPA:
        return pagopa.format(order["reference"])
    if order["reference_format"] == ReferenceFormat.RF:
        return rf.format(order["reference"])
    return order["reference"]
