"""Refusing at the desk the orders the hub cancelled or changed, offline too once heard.

The hub's order state (agent/sync/order_state.py, kept in agent/store/order_states.py)
names each order by its id and by its printed reference (RF or pagoPA notice number):

* a code or a typed order id or reference naming a **cancelled** order is refused, with
  the back office's reason (`ORDER_CANCELLED`);
* a code naming a **changed** order is refused when it asks another amount than the
  order asks now (`ORDER_CHANGED`): a notice printed before the change still verifies,
  with the old amount signed in it; the new notice is paid.  A typed order id with a
  typed amount is not checked against it: a part payment may be meant.

Refusals carry English text for logs and the headless desk, and `details` (order, date,
reason, amount) that the screens put into the catalogue text of the desk's language
(`verdict.order_cancelled`, `verdict.order_changed`, `refusal.order_cancelled`).
"""

from __future__ import annotations

from typing import Any

from protocol.money import Money

from agent.codes import CodeVerdict
from agent.intake import Refusal
from agent.store import Store, order_states

ORDER_CANCELLED = "order_cancelled"
ORDER_CHANGED = "order_changed"


def _amount(minor: int | None, currency: str | None) -> str:
    if minor is None:
        return "an open amount"
    return f"{Money(minor, currency or 'EUR').format()} {currency or 'EUR'}"


def details(entry: dict[str, Any]) -> dict[str, Any]:
    """What the desk's texts say of an order the hub listed."""
    return {"order": entry["order_id"], "date": (entry["at"] or "")[:10], "reason": entry.get("reason") or "",
            "amount_minor": entry.get("amount_minor"), "currency": entry.get("currency"),
            "amount": _amount(entry.get("amount_minor"), entry.get("currency")), "state": entry["state"]}


def _cancelled_text(facts: dict[str, Any]) -> str:
    return f"order {facts['order']} was cancelled on {facts['date']}: {facts['reason']}; it cannot be paid"


def check_verdict(store: Store, verdict: CodeVerdict, payload: str) -> CodeVerdict:
    """The verdict, refused if it names an order the hub cancelled or changed since it was printed.

    A text that is no code at all may be a typed order id or reference: a cancelled one is
    refused as such, so the cashier learns why rather than "unknown code"."""
    if verdict.is_receipt:
        return verdict
    if verdict.verdict == "unknown code":
        typed = payload.strip() if isinstance(payload, str) else None
        entry = order_states.find(store, order_id=typed, reference=typed) if typed else None
        if entry is None or entry["state"] != "cancelled":
            return verdict
        verdict.order_id = entry["order_id"]
    elif verdict.valid:
        entry = order_states.find(store, order_id=verdict.order_id, reference=(verdict.reference or {}).get("value"))
        if entry is None:
            return verdict
    else:
        return verdict          # already refused for what the code itself is
    facts = details(entry)
    if entry["state"] == "cancelled":
        verdict.valid, verdict.verdict = False, "cancelled"
        verdict.errors.insert(0, _cancelled_text(facts))
    elif verdict.amount_minor is not None and verdict.amount_minor != entry.get("amount_minor"):
        verdict.valid, verdict.verdict = False, "changed"
        verdict.errors.insert(0, f"order {facts['order']} was changed on {facts['date']}: it now asks "
                                 f"{facts['amount']}; this notice is out of date, the payer needs the new one")
    else:
        return verdict          # the new notice of a changed order
    verdict.order_state = facts
    return verdict


def refusal_for(store: Store, order_id: str | None, reference: dict | None) -> Refusal | None:
    """Why a payment naming this order id or reference must not be taken (a cancelled order), or None."""
    value = (reference or {}).get("value") if isinstance(reference, dict) else None
    for field_name, found in (("order_id", order_states.find(store, order_id=order_id) if order_id else None),
                              ("reference", order_states.find(store, reference=value) if value else None)):
        if found is not None and found["state"] == "cancelled":
            return Refusal(ORDER_CANCELLED, field_name, _cancelled_text(details(found)), details(found))
    return None
