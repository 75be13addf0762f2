"""A console user's session may do on the API exactly what the console lets its role do.

One table names the console permission (hub/users/roles.py) each API route stands for;
it is written here, apart from the routes, so a route that checks the wrong permission
fails.  Every role's logged-in browser then calls every route over real HTTP: a role
with the permission is never refused (403), a role without it always is.  The requests
are harmless: unknown ids and empty bodies, answered 404 or 422 once the caller passes.
"""

from __future__ import annotations

import pytest

from hub.api.errors import _caller_checks
from hub.api.routers import ROUTERS
from hub.users.roles import CONSOLE_ROLES as _CONSOLE, ROLES, may
from tests.hub.web_support import console

ROUTE_PERMISSIONS = {
    ("GET", "/api/v1/accounts"): "accounts.read",
    ("POST", "/api/v1/accounts"): "accounts.manage",
    ("POST", "/api/v1/accounts/{iban}/close"): "accounts.manage",
    ("GET", "/api/v1/card-contracts"): "activation.read",
    ("POST", "/api/v1/card-contracts"): "activation.apply",
    ("GET", "/api/v1/card-applications"): "activation.read",
    ("GET", "/api/v1/card-applications/{office}"): "activation.read",
    ("GET", "/api/v1/card-applications/{office}/{service}"): "activation.read",
    ("POST", "/api/v1/card-applications/{office}/{service}/submit"): "activation.apply",
    ("POST", "/api/v1/card-applications/{office}/{service}/comment"): "activation.review",
    ("POST", "/api/v1/card-applications/{office}/{service}/approve"): "activation.review",
    ("POST", "/api/v1/card-applications/{office}/{service}/suspend"): "activation.review",
    ("GET", "/api/v1/agents"): "agents.read",
    ("GET", "/api/v1/agents/{agent_id}"): "agents.read",
    ("POST", "/api/v1/agents/{agent_id}/diagnostics"): "agents.manage",
    ("POST", "/api/v1/agents/{agent_id}/revoke"): "agents.revoke",
    ("GET", "/api/v1/audit"): "audit.read",
    ("GET", "/api/v1/audit/verify"): "audit.verify",
    ("GET", "/api/v1/cases/{ref}/payments"): "payments.read",
    ("GET", "/api/v1/cases/{ref}/lookup"): "orders.read",
    ("GET", "/api/v1/catalogue"): "catalogue.read",
    ("GET", "/api/v1/eod"): "eod.read",
    ("GET", "/api/v1/exports/{kind}"): "exports.read",
    ("POST", "/api/v1/catalogue/validate"): "catalogue.write",
    ("GET", "/api/v1/catalogue/versions"): "catalogue.read",
    ("GET", "/api/v1/catalogue/versions/{version}"): "catalogue.read",
    ("POST", "/api/v1/catalogue/versions"): "catalogue.write",
    ("POST", "/api/v1/catalogue/versions/{version}/publish"): "catalogue.write",
    ("POST", "/api/v1/orders"): "orders.write",
    ("POST", "/api/v1/orders/import"): "orders.write",
    ("GET", "/api/v1/orders"): "orders.read",
    ("GET", "/api/v1/orders/{order_id}"): "orders.read",
    ("GET", "/api/v1/orders/{order_id}/notice.pdf"): "orders.read",
    ("GET", "/api/v1/orders/{order_id}/notice.png"): "orders.read",
    ("POST", "/api/v1/orders/{order_id}/change"): "orders.write",
    ("POST", "/api/v1/orders/{order_id}/cancel"): "orders.write",
    ("GET", "/api/v1/payments"): "payments.read",
    ("GET", "/api/v1/payments/unlinked"): "payments.read",
    ("GET", "/api/v1/payments/conflicts"): "audit.read",
    ("GET", "/api/v1/payments/{payment_row_id}"): "payments.read",
    ("POST", "/api/v1/payments/{payment_row_id}/link"): "payments.link",
    ("POST", "/api/v1/verify"): "payments.read",
    ("POST", "/api/v1/tokens"): "tokens.manage",
    ("POST", "/api/v1/reconciliation/imports"): "reconcile.manage",
    ("POST", "/api/v1/reconciliation/run"): "reconcile.manage",
    ("GET", "/api/v1/reconciliation/report"): "reconcile.read",
    ("GET", "/api/v1/reconciliation/lines"): "reconcile.read",
    ("POST", "/api/v1/reconciliation/lines/{row_id}/resolve"): "reconcile.manage",
    ("GET", "/api/v1/reconciliation/flows"): "reconcile.read",
    ("POST", "/api/v1/reconciliation/flows/{row_id}/resolve"): "reconcile.manage",
    ("GET", "/api/v1/reconciliation/payments"): "reconcile.read",
    ("POST", "/api/v1/reconciliation/payments/{row_id}/resolve"): "reconcile.manage",
    ("GET", "/api/v1/tokens"): "tokens.manage",
    ("DELETE", "/api/v1/tokens/{token_id}"): "tokens.manage",
    ("GET", "/api/v1/deliveries"): "deliveries.read",
    ("GET", "/api/v1/deliveries/dead-letters"): "deliveries.read",
    ("GET", "/api/v1/deliveries/{event_id}"): "deliveries.read",
    ("POST", "/api/v1/deliveries/replay"): "deliveries.replay",
    ("GET", "/api/v1/case-systems"): "casesys.manage",
    ("GET", "/api/v1/case-systems/{name}"): "casesys.manage",
    ("POST", "/api/v1/case-systems"): "casesys.manage",
    ("PATCH", "/api/v1/case-systems/{name}"): "casesys.manage",
    ("POST", "/api/v1/enrollment-tokens"): "enrollment.manage",
    ("GET", "/api/v1/enrollment-tokens"): "enrollment.manage",
    ("POST", "/api/v1/enrollment-tokens/{token_id}/revoke"): "enrollment.manage",
}
PUBLIC = {("POST", "/api/v1/enroll"), ("GET", "/api/v1/keys"), ("GET", "/metrics")}
UNKNOWN = {"agent_id": "nobody", "ref": "CASE-NONE", "version": "999999", "order_id": "NOORDER",
           "payment_row_id": "999999", "token_id": "999999", "event_id": "no-event", "name": "no-system",
           "iban": "IT60X0542811101000000123456", "kind": "payments", "row_id": "999999",
           "office": "NO-OFFICE", "service": "NO-STEP"}
CONSOLE_ROLES = [role for role in ROLES if role in _CONSOLE]     # desk and technician cannot log in: no session


def _api_routes() -> set[tuple[str, str]]:
    return {(method, route.path) for router in ROUTERS for route in router.routes for method in route.methods}


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    """A running hub with one logged-in browser per console role (the operator of one office)."""
    with console(tmp_path_factory.mktemp("permissions")) as hub:
        browsers = {}
        for role in CONSOLE_ROLES:
            hub.user(f"u-{role}", role, ["ROMA-1"] if role == "operator" else None)
            browsers[role] = hub.client()
            assert browsers[role].login(f"u-{role}").status_code == 303
        yield browsers
        for browser in browsers.values():
            browser.close()


def test_the_table_names_every_api_route_and_each_route_checks_that_permission():
    assert _api_routes() == set(ROUTE_PERMISSIONS) | PUBLIC
    for router in ROUTERS:
        for route in router.routes:
            checks = [sub.call for sub in route.dependant.dependencies if hasattr(sub.call, "permission")]
            for method in route.methods:
                if (method, route.path) in PUBLIC:
                    continue
                assert [check.permission for check in checks] == [ROUTE_PERMISSIONS[(method, route.path)]], \
                    (method, route.path)
                assert _caller_checks(route.dependant), (method, route.path)


@pytest.mark.parametrize("role", CONSOLE_ROLES)
def test_each_roles_session_is_refused_on_the_api_exactly_where_the_console_refuses_it(sessions, role):
    browser = sessions[role]
    disagreements = []
    for (method, path), permission in sorted(ROUTE_PERMISSIONS.items()):
        body = {"json": {}} if method in {"POST", "PATCH"} else {}
        answer = browser.request(method, path.format(**UNKNOWN), headers={"X-CSRF-Token": browser.csrf}, **body)
        assert answer.status_code != 401, (method, path, answer.text)
        if (answer.status_code != 403) != may(role, permission):
            disagreements.append((method, path, permission, answer.status_code, answer.text[:120]))
    assert disagreements == []


@pytest.mark.parametrize("role", CONSOLE_ROLES)
def test_metrics_are_read_by_a_session_that_sees_the_dashboard_of_every_office(sessions, role):
    answer = sessions[role].get("/metrics")
    every_office = role != "operator"
    assert (answer.status_code == 200) == (may(role, "dashboard.read") and every_office), answer.text
