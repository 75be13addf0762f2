"""An operator of one office, logged into the console, turns to the API with the session it
already has: it must not read, list or change another office's orders and payments there,
nor may another site's page post to the API on the operator's behalf with its cookie."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hub.api.security import create_token
from hub.store.tables_users import user_sessions
from hub.users import service, sessions
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row

PAYER_OF_MILANO = "Giulia Bianchi"


@pytest.fixture
def roma_operator(live_hub):
    """The cookie header of a logged-in operator of ROMA-1, and the hub holding both offices' data."""
    db = live_hub.context.db
    add_orders(db, [order_row("ORDA1", office="ROMA-1"),
                    order_row("ORDB1", office="MILANO-2", payer_name=PAYER_OF_MILANO)])
    add_payments(db, [payment_row(1, office="ROMA-1"), payment_row(2, office="MILANO-2", payer_name=PAYER_OF_MILANO)])
    with db.begin() as conn:
        user = service.create(conn, "anna", "correct horse battery staple", "operator", ["ROMA-1"], "test")
        session_id = sessions.open_session(conn, user, sessions.SessionPolicy(), dt.datetime.now(dt.timezone.utc),
                                           user_agent="test", address="127.0.0.1")
    return live_hub, {"Cookie": f"{sessions.SESSION_COOKIE}={session_id}"}


def test_the_operators_session_does_not_reach_another_offices_orders_or_payments(roma_operator):
    hub, cookie = roma_operator
    for path in ("/api/v1/orders", "/api/v1/payments", "/api/v1/payments/unlinked", "/api/v1/orders/ORDB1",
                 "/api/v1/orders/ORDB1/notice.pdf", "/api/v1/orders?reference=RF00ORDB1"):
        answer = hub.client.get(path, headers=cookie)
        assert answer.status_code in (200, 404), (path, answer.status_code, answer.text)
        assert PAYER_OF_MILANO not in answer.text and "MILANO-2" not in answer.text, path
    assert hub.client.get("/api/v1/orders/ORDB1", headers=cookie).status_code == 404
    assert [o["order_id"] for o in hub.client.get("/api/v1/orders", headers=cookie).json()] == ["ORDA1"]


def test_the_operators_session_cannot_issue_or_cancel_another_offices_orders(roma_operator):
    hub, cookie = roma_operator
    csrf = _csrf_of(hub)
    headers = {**cookie, "X-CSRF-Token": csrf}
    assert hub.client.post("/api/v1/orders", headers=headers,
                           json={"amount_minor": 700, "office": "MILANO-2"}).status_code == 422
    assert hub.client.post("/api/v1/orders/ORDB1/cancel", headers=headers, json={"reason": "x"}).status_code == 404
    everything = hub.client.get("/api/v1/orders", headers=hub.admin).json()
    assert [(o["order_id"], o["status"]) for o in everything if o["office"] == "MILANO-2"] == [("ORDB1", "unpaid")], \
        "no order was made for MILANO-2 and its own is not cancelled"


def test_another_sites_form_post_with_the_cookie_is_refused_before_anything_is_read(roma_operator):
    hub, cookie = roma_operator
    forged = hub.client.post("/api/v1/orders", content="amount_minor=700&office=ROMA-1",
                             headers={**cookie, "Origin": "https://evil.example",
                                      "Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["detail"]
    assert [o["order_id"] for o in hub.client.get("/api/v1/orders", headers=cookie).json()] == ["ORDA1"]


def test_a_token_for_the_office_is_bound_as_the_operator_is(roma_operator):
    hub, _cookie = roma_operator
    with hub.context.db.begin() as conn:
        token, _ = create_token(conn, "roma integration", "operator", "test", offices=["ROMA-1"])
    roma = hub.auth(token)
    assert hub.client.get("/api/v1/orders/ORDB1", headers=roma).status_code == 404
    assert [p["office"] for p in hub.client.get("/api/v1/payments", headers=roma).json()["payments"]] == ["ROMA-1"]
    assert hub.client.post("/api/v1/orders", headers=roma,
                           json={"amount_minor": 700, "office": "MILANO-2"}).status_code == 422


def _csrf_of(hub) -> str:
    with hub.context.db.connect() as conn:
        return conn.execute(select(user_sessions.c.csrf_token)).scalar_one()
