"""The API reached from Debian's headless Chromium with the console's own session: an operator
of office A logged in is refused office B's order through the API, lists only A's orders, and
may write only with the session's CSRF token, as the console's pages send it."""

from __future__ import annotations

import json

import httpx

PASSWORD = "correct horse battery staple"


def _operator(live_hub, username: str, office: str) -> None:
    made = live_hub.cli("user", "create", "--username", username, "--role", "operator", "--office", office,
                        "--password-stdin", input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr


def _order(live_hub, office: str) -> str:
    response = httpx.post(f"{live_hub.url}/api/v1/orders", headers=live_hub.auth,
                          json={"amount_minor": 4200, "office": office, "payer": {"name": "Ada"}})
    assert response.status_code == 201, response.text
    return response.json()["order_id"]


def _log_in(page, live_hub, username: str) -> None:
    page.goto(f"{live_hub.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_hub.url}/")


def test_an_operator_of_office_a_is_refused_office_bs_order_through_the_api(live_hub, page):
    _operator(live_hub, "anna", "ROMA-1")
    mine, theirs = _order(live_hub, "ROMA-1"), _order(live_hub, "MILANO-2")
    _log_in(page, live_hub, "anna")

    assert page.request.get(f"{live_hub.url}/api/v1/orders/{theirs}").status == 404
    assert page.request.get(f"{live_hub.url}/api/v1/orders/{mine}").status == 200
    listed = page.request.get(f"{live_hub.url}/api/v1/orders")
    assert listed.status == 200 and [o["order_id"] for o in listed.json()] == [mine]


def test_the_browsers_api_write_needs_the_sessions_csrf_token(live_hub, page):
    _operator(live_hub, "anna", "ROMA-1")
    _log_in(page, live_hub, "anna")
    body = {"amount_minor": 900, "office": "ROMA-1", "payer": {"name": "Ada"}}

    assert page.request.post(f"{live_hub.url}/api/v1/orders", data=body).status == 403
    csrf = page.locator("body").get_attribute("hx-headers")
    assert csrf and "X-CSRF-Token" in csrf
    made = page.request.post(f"{live_hub.url}/api/v1/orders", data=body, headers=json.loads(csrf))
    assert made.status == 201, made.text()
    refused = page.request.post(f"{live_hub.url}/api/v1/orders", data={**body, "office": "MILANO-2"},
                                headers=json.loads(csrf))
    assert refused.status == 422
