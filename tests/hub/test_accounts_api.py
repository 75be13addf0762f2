"""/api/v1/accounts: admins and finance users manage, operators and auditors read, all within their
offices: an operator of office A neither lists nor closes office B's accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.api.security import create_token
from hub.store.tables import audit_log
from tests.hub.api_support import Api
from tests.hub.web_support import console

ROMA = "IT60X0542811101000000123456"
WARSAW = "PL61109010140000071219812874"
CSRF_HEADER = "X-CSRF-Token"


@pytest.fixture
def api(hub_context):
    return Api(hub_context)


def _scoped_token(api: Api, role: str, offices: list[str]) -> dict[str, str]:
    with api.context.db.begin() as conn:
        token, _ = create_token(conn, f"{role} of {offices}", role, "test", offices=offices)
    return api.auth(token)


def test_an_admin_token_adds_lists_and_closes_accounts_and_refusals_say_why(api):
    admin = api.auth(api.admin_token)
    made = api.client.post("/api/v1/accounts", headers=admin,
                           json={"office": "ROMA-1", "iban": "it60 x054 2811 1010 0000 0123 456", "holder": "Comune",
                                 "active_from": "2026-01-01"})
    assert made.status_code == 201, made.text
    assert made.json() | {"id": 0} == {"id": 0, "office": "ROMA-1", "iban": ROMA, "holder": "Comune", "bank": None,
                                       "purpose": None, "active_from": "2026-01-01", "active_to": None}
    again = api.client.post("/api/v1/accounts", headers=admin, json={"office": "WAW-1", "iban": ROMA})
    assert again.status_code == 409 and "ROMA-1" in again.json()["detail"]
    bad = api.client.post("/api/v1/accounts", headers=admin, json={"office": "WAW-1", "iban": "PL00 1234"})
    assert bad.status_code == 422 and bad.json()["field"] == "iban"

    closed = api.client.post(f"/api/v1/accounts/{ROMA.lower()}/close", headers=admin, json={"active_to": "2026-06-30"})
    assert closed.status_code == 200 and closed.json()["active_to"] == "2026-06-30"
    assert api.client.post(f"/api/v1/accounts/{ROMA}/close", headers=admin).status_code == 409
    assert api.client.post(f"/api/v1/accounts/{WARSAW}/close", headers=admin).status_code == 404
    assert [a["active_to"] for a in api.client.get("/api/v1/accounts", headers=admin).json()] == ["2026-06-30"]


def test_operator_and_auditor_tokens_read_only_their_offices_accounts_and_manage_none(api):
    admin = api.auth(api.admin_token)
    for office, iban in (("ROMA-1", ROMA), ("WAW-1", WARSAW)):
        assert api.client.post("/api/v1/accounts", headers=admin, json={"office": office, "iban": iban}).status_code == 201
    operator = _scoped_token(api, "operator", ["ROMA-1"])
    assert [a["iban"] for a in api.client.get("/api/v1/accounts", headers=operator).json()] == [ROMA]
    assert api.client.get("/api/v1/accounts?office=WAW-1", headers=operator).json() == []
    assert api.client.post("/api/v1/accounts", headers=operator,
                           json={"office": "ROMA-1", "iban": "DE89370400440532013000"}).status_code == 403
    assert api.client.post(f"/api/v1/accounts/{ROMA}/close", headers=operator).status_code == 403
    auditor = api.auth(api.token("auditor"))
    assert len(api.client.get("/api/v1/accounts", headers=auditor).json()) == 2
    case_system_refused = api.client.get("/api/v1/accounts", headers=api.auth("cph_wrong"))
    assert case_system_refused.status_code == 401
    roma_admin = _scoped_token(api, "admin", ["ROMA-1"])
    assert api.client.post(f"/api/v1/accounts/{WARSAW}/close", headers=roma_admin).status_code == 404
    assert api.client.post("/api/v1/accounts", headers=roma_admin,
                           json={"office": "WAW-1", "iban": "DE89370400440532013000"}).status_code == 422


def test_accounts_page_through_the_link_header(api):
    from protocol.ids.iban import generate
    admin = api.auth(api.admin_token)
    ibans = sorted(generate("DE", f"37040044{n:010d}") for n in range(5))
    for iban in ibans:
        api.client.post("/api/v1/accounts", headers=admin, json={"office": "BERLIN", "iban": iban})
    first = api.client.get("/api/v1/accounts?sort=iban&limit=3", headers=admin)
    assert [a["iban"] for a in first.json()] == ibans[:3]
    second = api.client.get(first.links["next"]["url"], headers=admin)
    assert [a["iban"] for a in second.json()] == ibans[3:] and "next" not in second.links


def test_a_finance_users_session_manages_its_offices_accounts_and_an_operator_of_a_sees_none_of_b(tmp_path):
    with console(tmp_path) as hub:
        hub.user("fin", "finance", ["ROMA-1"])
        hub.user("anna", "operator", ["ROMA-1"])
        hub.user("marco", "operator", ["MILANO-2"])
        fin = hub.client()
        assert fin.login("fin").status_code == 303
        csrf = {CSRF_HEADER: fin.csrf}
        assert fin.post("/api/v1/accounts", json={"office": "ROMA-1", "iban": ROMA}).status_code == 403  # no CSRF
        made = fin.post("/api/v1/accounts", json={"office": "ROMA-1", "iban": ROMA}, headers=csrf)
        assert made.status_code == 201, made.text
        assert fin.post("/api/v1/accounts", json={"office": "MILANO-2", "iban": WARSAW}, headers=csrf).status_code == 422
        with hub.db.connect() as conn:
            actors = conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "account.add")).scalars().all()
        assert actors == ["user:fin"]

        anna, marco = hub.client(), hub.client()
        anna.login("anna")
        marco.login("marco")
        assert [a["iban"] for a in anna.get("/api/v1/accounts").json()] == [ROMA]
        assert marco.get("/api/v1/accounts").json() == []
        assert marco.post(f"/api/v1/accounts/{ROMA}/close", headers={CSRF_HEADER: marco.csrf}).status_code == 403
