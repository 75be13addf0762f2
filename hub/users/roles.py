"""The roles a hub user has, and what each may do: one table, `PERMISSIONS`.

The README's "Users and roles" section shows the same table; a page, a command or an
API route asks `may(role, permission)`, never a role's name.

| role       | who                                  | may                                                    |
|------------|--------------------------------------|--------------------------------------------------------|
| admin      | runs the hub                         | everything, users and API tokens too                   |
| finance    | reconciles and exports               | read payments, orders, end of day; bank accounts; export (payments, accounting, notices), link payments, audit, reconcile |
| operator   | back-office clerk                    | read and write orders, export and mail their notices, read and link payments; apply for card payments (contracts, submit) |
| supervisor | watches the counters                 | read payments, orders, end of day; agents, replay deliveries, read reconciliation; review card-payment applications (comment, approve, suspend) |
| auditor    | checks what happened                 | read everything, export to accounting, the audit log and its verification |
| desk       | clerk or cashier at a counter        | nothing in the console (works at the agent)            |
| technician | looks after the counter PCs          | nothing in the console (the agent's technician mode)   |

A logged-in user's browser may also call the API (/api/v1) with its session; there every
route asks the same permissions (hub/api/deps.py `require_role(..., permission=...)`),
so a role may do on the API exactly what it may do in the console, within its offices.
"""

from __future__ import annotations

from protocol.wire.roster import DESK_ROLES

ROLES = ("admin", "finance", "operator", "supervisor", "auditor", "desk", "technician")

ALL_PERMISSIONS = frozenset({
    "dashboard.read",
    "payments.read", "payments.export", "payments.link",
    "exports.read",
    "orders.read", "orders.write",
    "notices.send", "notices.export",
    "agents.read", "agents.manage", "agents.revoke",
    "deliveries.read", "deliveries.replay",
    "eod.read",
    "catalogue.read", "catalogue.write",
    "accounts.read", "accounts.manage",
    "casesys.manage", "enrollment.manage",
    "users.manage", "tokens.manage",
    "audit.read", "audit.verify",
    "reconcile.read", "reconcile.manage",
    "activation.read", "activation.apply", "activation.review",
})

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": ALL_PERMISSIONS,
    "finance": frozenset({"dashboard.read", "payments.read", "payments.export", "payments.link", "exports.read",
                          "orders.read", "notices.export", "deliveries.read", "eod.read", "catalogue.read", "audit.read",
                          "reconcile.read", "reconcile.manage", "accounts.read", "accounts.manage",
                          "activation.read"}),
    "operator": frozenset({"dashboard.read", "payments.read", "payments.link", "orders.read", "orders.write",
                           "notices.send", "notices.export", "deliveries.read", "catalogue.read",
                           "accounts.read", "activation.read", "activation.apply"}),
    "supervisor": frozenset({"dashboard.read", "payments.read", "orders.read", "agents.read", "agents.manage",
                             "deliveries.read", "deliveries.replay", "eod.read", "catalogue.read", "accounts.read",
                             "reconcile.read", "activation.read", "activation.review"}),
    "auditor": frozenset({"dashboard.read", "payments.read", "payments.export", "exports.read", "orders.read",
                          "agents.read", "deliveries.read", "eod.read", "catalogue.read", "audit.read", "audit.verify",
                          "accounts.read", "reconcile.read", "activation.read"}),
    # Clerks and cashiers work at the agent; the console refuses them at login.
    "desk": frozenset(),
    # Technicians work at the agent too: its technician mode needs their login.
    "technician": frozenset(),
}

CONSOLE_ROLES = frozenset(role for role, allowed in PERMISSIONS.items() if allowed)
"""The roles that may log into the console (every role but desk and technician)."""

OFFICE_BOUND_ROLES = frozenset({"operator", "desk"})
"""Roles that work for named offices: a user of these roles must be given at least one."""

DESK_LOGIN_ROLES = DESK_ROLES
"""Roles that log in at the agent with a desk secret (`counterpay hub user set-pin`):
desk in clerk and cashier mode, technician in technician mode, supervisor to approve."""


def may(role: str, permission: str) -> bool:
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"permission {permission!r} is unknown; expected one of {', '.join(sorted(ALL_PERMISSIONS))}")
    return permission in PERMISSIONS.get(role, frozenset())
