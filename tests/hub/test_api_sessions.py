"""The API over real HTTP for a console user's browser (its session cookie, no token) and for
tokens made for named offices: both see and change only their offices' orders and payments,
a cookie's non-GET request needs the session's CSRF token, and a disabled user is refused at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.api.security import create_token
from hub.store.tables import api_tokens, audit_log
from hub.users import service
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row
from tests.hub.web_support import console

CSRF_HEADER = "X-CSRF-Token"


def _two_offices(hub) -> str:
    """Orders and payments of ROMA-1 and MILANO-2; returns a bearer admin token."""
    add_orders(hub.db, [order_row("ORDA1", office="ROMA-1", reference="RF18A1"),
                        order_row("ORDB1", office="MILANO-2", reference="RF18B1")])
    add_payments(hub.db, [payment_row(1, office="ROMA-1"), payment_row(2, office="MILANO-2")])
    with hub.db.begin() as conn:
        token, _ = create_token(conn, "first admin", "admin", "test")
    return token


def _payment_id(hub, office: str) -> int:
    from hub.store.tables import payments
    with hub.db.connect() as conn:
        return conn.execute(select(payments.c.id).where(payments.c.office == office)).scalar_one()


def _sees_only_roma(client, headers: dict[str, str], milano_payment: int) -> None:
    assert [o["order_id"] for o in client.get("/api/v1/orders", headers=headers).json()] == ["ORDA1"]
    assert [p["office"] for p in client.get("/api/v1/payments", headers=headers).json()["payments"]] == ["ROMA-1"]
    assert client.get("/api/v1/orders/ORDA1", headers=headers).status_code == 200
    assert client.get("/api/v1/orders/ORDB1", headers=headers).status_code == 404
    assert client.get(f"/api/v1/payments/{milano_payment}", headers=headers).status_code == 404


def test_an_operators_session_lists_and_reads_only_its_offices_orders_and_payments(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        assert anna.login("anna").status_code == 303
        assert "Authorization" not in anna.headers
        _sees_only_roma(anna, {}, _payment_id(hub, "MILANO-2"))


def test_a_sessions_order_for_another_office_is_refused_and_one_for_its_own_is_made_in_its_name(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        csrf = {CSRF_HEADER: anna.csrf}

        refused = anna.post("/api/v1/orders", json={"amount_minor": 700, "office": "MILANO-2"}, headers=csrf)
        assert refused.status_code == 422 and "MILANO-2" in refused.text
        assert anna.post("/api/v1/orders/ORDB1/cancel", json={"reason": "x"}, headers=csrf).status_code == 404

        made = anna.post("/api/v1/orders", json={"amount_minor": 700, "office": "ROMA-1"}, headers=csrf)
        assert made.status_code == 201, made.text
        with hub.db.connect() as conn:
            actors = set(conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "order.create")).scalars())
        assert actors == {"user:anna"}


def test_a_sessions_post_without_its_csrf_token_is_refused(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        body = {"amount_minor": 700, "office": "ROMA-1"}

        assert anna.post("/api/v1/orders", json=body).status_code == 403
        assert anna.post("/api/v1/orders", json=body, headers={CSRF_HEADER: "not-the-token"}).status_code == 403
        # a broken body is answered as the missing token deserves, before the fields are named
        broken = anna.post("/api/v1/orders", json={"amount_minor": "lots"})
        assert broken.status_code == 403 and "amount_minor" not in broken.text
        assert [o["order_id"] for o in anna.get("/api/v1/orders").json()] == ["ORDA1"], "nothing was made"
        assert anna.post("/api/v1/orders", json=body, headers={CSRF_HEADER: anna.csrf}).status_code == 201


def test_a_bearer_token_needs_no_csrf_token_even_beside_a_cookie(tmp_path):
    with console(tmp_path) as hub:
        admin = _two_offices(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        made = anna.post("/api/v1/orders", json={"amount_minor": 700, "office": "MILANO-2"},
                         headers={"Authorization": f"Bearer {admin}"})
        assert made.status_code == 201, "the token, not the cookie, is the caller"


def test_a_disabled_users_cookie_is_refused_on_its_next_api_call(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        assert anna.get("/api/v1/orders").status_code == 200
        with hub.db.begin() as conn:
            service.set_disabled(conn, "anna", True, "test")
        assert anna.get("/api/v1/orders").status_code == 401
        assert anna.post("/api/v1/orders", json={"amount_minor": 700, "office": "ROMA-1"},
                         headers={CSRF_HEADER: anna.csrf}).status_code == 401


def test_a_logged_out_cookie_is_refused(tmp_path):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        cookie = anna.cookies.get("cp_session")
        anna.post("/logout", data={"csrf_token": anna.csrf})
        stranger = hub.client()
        stranger.cookies.set("cp_session", cookie)
        assert stranger.get("/api/v1/orders").status_code == 401


@pytest.mark.parametrize("role, reads, writes", [("auditor", 200, 403), ("finance", 200, 403),
                                                  ("supervisor", 200, 403), ("admin", 200, 201)])
def test_a_console_role_has_its_api_role(tmp_path, role, reads, writes):
    with console(tmp_path) as hub:
        _two_offices(hub)
        hub.user("carla", role, None)
        carla = hub.client()
        carla.login("carla")
        assert carla.get("/api/v1/orders").status_code == reads
        made = carla.post("/api/v1/orders", json={"amount_minor": 700, "office": "ROMA-1"},
                          headers={CSRF_HEADER: carla.csrf})
        assert made.status_code == writes
        assert (carla.get("/api/v1/tokens").status_code == 200) == (role == "admin")


def test_a_token_made_for_an_office_sees_and_changes_only_that_office(tmp_path):
    with console(tmp_path) as hub:
        admin = {"Authorization": f"Bearer {_two_offices(hub)}"}
        client = hub.client()
        created = client.post("/api/v1/tokens", headers=admin,
                              json={"name": "roma clerk", "role": "operator", "offices": ["ROMA-1"]})
        assert created.status_code == 201, created.text
        assert created.json()["offices"] == ["ROMA-1"]
        roma = {"Authorization": f"Bearer {created.json()['token']}"}

        _sees_only_roma(client, roma, _payment_id(hub, "MILANO-2"))
        assert client.post("/api/v1/orders", headers=roma, json={"amount_minor": 700, "office": "MILANO-2"}) \
            .status_code == 422
        assert client.post("/api/v1/orders", headers=roma, json={"amount_minor": 700, "office": "ROMA-1"}) \
            .status_code == 201, "a token needs no CSRF token"
        listed = {t["name"]: t["offices"] for t in client.get("/api/v1/tokens", headers=admin).json()}
        assert listed == {"first admin": None, "roma clerk": ["ROMA-1"]}
        with hub.db.connect() as conn:
            every_office = conn.execute(select(api_tokens.c.name).where(api_tokens.c.offices.is_(None))).scalars()
            assert list(every_office) == ["first admin"], "a token of every office holds SQL NULL"


@pytest.mark.parametrize("body", [
    {"name": "x", "role": "operator", "offices": []},
    {"name": "x", "role": "operator", "offices": ["no spaces"]},
    {"name": "x", "role": "operator", "offices": [f"O{n}" for n in range(201)]},
    {"name": "x", "role": "case-system", "case_system": "one", "offices": ["ROMA-1"]},
])
def test_a_token_with_bad_offices_is_refused(tmp_path, body):
    with console(tmp_path) as hub:
        admin = {"Authorization": f"Bearer {_two_offices(hub)}"}
        client = hub.client()
        assert client.post("/api/v1/tokens", headers=admin, json=body).status_code == 422
        with hub.db.connect() as conn:
            assert conn.execute(select(api_tokens.c.name)).scalars().all() == ["first admin"]
