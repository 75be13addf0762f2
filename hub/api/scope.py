"""What a caller may see of cases, payments and orders.

Operators, auditors and admins see everything.  A case-system token belongs to one
registered case system and sees only what that case system owns by the registry's
patterns (hub.casesys.registry):

    a case      whose reference the registry gives to it (`case_owner`)
    an order    whose confirmations would go to it (`order_owner`)
    a payment   whose confirmation goes to it (`payment_owner`)

Anything else is answered like something that does not exist (404), so a token
learns nothing about the cases of other case systems, not even that they exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hub.api.security import CASE_SYSTEM_ROLE, Principal
from hub.casesys import registry


def is_scoped(principal: Principal) -> bool:
    return principal.role == CASE_SYSTEM_ROLE


def _is(owner: dict[str, Any] | None, principal: Principal) -> bool:
    return owner is not None and owner["name"] == principal.case_system


def sees_case(conn: Connection, principal: Principal, ref: str) -> bool:
    return not is_scoped(principal) or _is(registry.case_owner(conn, ref), principal)


def sees_order(conn: Connection, principal: Principal, order: dict[str, Any]) -> bool:
    return not is_scoped(principal) or _is(registry.order_owner(conn, order), principal)


def sees_payment(conn: Connection, principal: Principal, payment: dict[str, Any]) -> bool:
    return not is_scoped(principal) or _is(registry.payment_owner(conn, payment), principal)


def visible_orders(conn: Connection, principal: Principal, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [order for order in orders if sees_order(conn, principal, order)]


def visible_payments(conn: Connection, principal: Principal, payments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [payment for payment in payments if sees_payment(conn, principal, payment)]
