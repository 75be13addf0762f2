"""Changing or cancelling a payment order while nothing is paid on it, audited.

Only an unpaid order changes: once a payment counts against it, what the payer was asked
for is history.  A change re-signs the order's QR code (its amount, payer and expiry are in
it).  A cancelled order stays, so its reference is never reused; the linker leaves any
payment that names it unlinked with the reason (hub/linking/linker.py), for a person.
The desks hear of both (hub/orders/state_feed.py), once the caller has committed and
calls `state_feed.publish_for`: a cancelled order's code is refused at the counter, and
so is a notice printed before its amount changed (`amount_changed_at`).
A refusal's message is a `Reason` (hub/reasons.py): English in the API, the reader's
language on a page.  The account it is paid into changes too, by the rules of a new order
(hub/orders/paid_into.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.catalogue import service as catalogue
from hub.errors import Conflict, InvalidInput, NotFound
from hub.linking.status import order_payments, summarise
from hub.orders.paid_into import AccountRefused, order_account
from hub.orders.qr import order_qr
from hub.reasons import Reason
from hub.store.tables import orders
from hub.store.timeutil import now_iso
from hub.users.scope import Scope

CHANGEABLE = ("amount_minor", "case_ref", "payer_name", "payer_id", "payer_email", "payer_language", "payer_address",
              "description", "due_date", "account_iban")


class OrderMissing(LookupError, NotFound):
    """No such order, or not one the caller's offices hold."""


class OrderNotChangeable(ValueError, Conflict):
    """The order is cancelled, or a payment already counts against it."""


class OrderChangeInvalid(ValueError, InvalidInput):
    """A change that does not fit the order; `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _changeable(conn: Connection, order_id: str, scope: Scope) -> dict[str, Any]:
    row = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().first()
    if row is None or not scope.allows(row["office"]):
        raise OrderMissing(f"no payment order {order_id}")
    order = dict(row)
    if order["cancelled_at"]:
        raise OrderNotChangeable(Reason("orders.reason.change_cancelled", "order {order_id} was cancelled on {day}",
                                        order_id=order_id, day=order["cancelled_at"][:10]))
    if summarise(order, order_payments(conn, order_id))["status"] != "unpaid":
        raise OrderNotChangeable(Reason("orders.reason.change_paid", "order {order_id} has payments against it: "
                                        "only an unpaid order changes", order_id=order_id))
    return order


def change_order(conn: Connection, order_id: str, changes: dict[str, Any], actor: str, *, scope: Scope,
                 signing_key=None) -> dict[str, Any]:
    """Apply `changes` (CHANGEABLE fields; '' or None clears an optional one) to an unpaid order."""
    order = _changeable(conn, order_id, scope)
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise OrderChangeInvalid(unknown[0], Reason("orders.reason.change_unknown", "{fields} cannot be changed; "
                                                    "change {changeable}", fields=", ".join(unknown),
                                                    changeable=", ".join(CHANGEABLE)))
    values = {name: (value if value != "" else None) for name, value in changes.items()}
    if "amount_minor" in values:
        amount = values["amount_minor"]
        if amount is None and order["amount_kind"] == "fixed":
            raise OrderChangeInvalid("amount_minor", Reason("orders.reason.change_amount_required",
                                                            "a fixed-amount order needs an amount"))
        if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 1):
            raise OrderChangeInvalid("amount_minor", Reason("orders.reason.change_amount_positive",
                                                            "the amount must be a positive number of minor units"))
    if values.get("due_date") is not None:
        try:
            values["due_date"] = dt.date.fromisoformat(str(values["due_date"])).isoformat()
        except ValueError:
            raise OrderChangeInvalid("due_date", Reason("orders.reason.change_due_date", "{value} is not a date "
                                                        "(YYYY-MM-DD)", value=repr(values["due_date"]))) from None
    if "account_iban" in values:
        codes = [code for code in (order["positions"] or "").split(",") if code]
        try:
            values["account_iban"] = order_account(conn, {"account_iban": values["account_iban"],
                                                          "office": order["office"]},
                                                   catalogue.effective(conn, order["office"]) if codes else None,
                                                   codes)
        except AccountRefused as exc:
            raise OrderChangeInvalid("account_iban", exc.reason) from None
    before = {name: order[name] for name in values if order[name] != values[name]}
    if not before:
        return order
    if "amount_minor" in before and order["amount_kind"] == "fixed":
        # The notice printed before still verifies, with the old amount in its signed code.
        values["amount_changed_at"] = now_iso()
    order |= values
    if signing_key is not None:
        values["qr_payload"] = order["qr_payload"] = order_qr(order, signing_key)
    conn.execute(orders.update().where(orders.c.order_id == order_id).values(**values))
    record(conn, actor, "order.change", f"order:{order_id}",
           {"before": before, "after": {name: order[name] for name in before}})
    return order


def cancel_order(conn: Connection, order_id: str, reason: str, actor: str, *, scope: Scope) -> dict[str, Any]:
    reason = (reason or "").strip()
    if not reason:
        raise OrderChangeInvalid("reason", Reason("orders.reason.cancel_reason_required", "say why the order is "
                                                  "cancelled: the payer and the counter read it"))
    if len(reason) > 400:
        raise OrderChangeInvalid("reason", Reason("orders.reason.cancel_reason_long",
                                                  "the reason is at most {max} characters", max=400))
    order = _changeable(conn, order_id, scope)
    cancelled = {"cancelled_at": now_iso(), "cancelled_by": actor, "cancel_reason": reason}
    conn.execute(orders.update().where(orders.c.order_id == order_id).values(**cancelled))
    record(conn, actor, "order.cancel", f"order:{order_id}", {"reason": reason, "reference": order["reference"]})
    return order | cancelled
