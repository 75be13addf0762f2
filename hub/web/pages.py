"""The console's pages that exist, for the navigation and for the dashboard's links.

A page is listed here once it is built; a figure whose list page is not here is shown
without a link.  Each page names the permission (hub/users/roles.py) needed to see it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str            # catalogue key nav.<name>
    path: str
    permission: str


PAGES: tuple[Page, ...] = (
    Page("dashboard", "/", "dashboard.read"),
    Page("payments", "/payments", "payments.read"),
    Page("unlinked", "/payments/unlinked", "payments.read"),
    Page("orders", "/orders", "orders.read"),
    Page("mail", "/notices/mail", "notices.send"),
    Page("reconciliation", "/reconciliation", "reconcile.read"),
    Page("exports", "/exports", "exports.read"),
    Page("agents", "/agents", "agents.read"),
    Page("deliveries", "/deliveries", "deliveries.read"),
    Page("dead_letters", "/deliveries/dead", "deliveries.read"),
    Page("eod", "/eod", "eod.read"),
    Page("audit", "/audit", "audit.read"),
    Page("catalogue", "/catalogue", "catalogue.read"),
    Page("accounts", "/accounts", "accounts.read"),
    Page("card_payments", "/card-payments", "activation.read"),
    Page("case_systems", "/case-systems", "casesys.manage"),
    Page("enrollment", "/enrollment-tokens", "enrollment.manage"),
    Page("users", "/users", "users.manage"),
    Page("tokens", "/tokens", "tokens.manage"),
)


def page(name: str) -> Page | None:
    return next((p for p in PAGES if p.name == name), None)
