"""Who settled a payment: the operator named on its journal row."""

from __future__ import annotations

from agent.store import Store


def record(store: Store, payment_id: str, operator: str) -> None:
    """Name `operator` on the payment, unless the operator who took it is named already."""
    with store.transaction() as db:
        db.execute("UPDATE journal SET operator = COALESCE(operator, ?) WHERE intent_id = ?", (operator, payment_id))
