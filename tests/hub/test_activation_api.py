"""/api/v1/card-contracts and /api/v1/card-applications: an office's operator registers and submits,
a reviewer (admin token, supervisor's session) comments, approves and suspends; every change is sent
to the office's desks as a signed, retained card.activation; refusals say what is missing."""

from __future__ import annotations

import pytest

from hub.api.security import create_token
from protocol.keys import KeyDirectory
from protocol.wire import decode, topics, verify
from tests.hub.activation_support import publish_catalogue
from tests.hub.api_support import Api

RIGA = "RIGA-1"
CONTRACT = {"office": RIGA, "acquirer": "Swedbank", "contract_no": "K-1", "valid_from": "2020-01-01"}


@pytest.fixture
def api(hub_context):
    return Api(hub_context)


def _token(api: Api, role: str, offices: list[str] | None) -> dict[str, str]:
    with api.context.db.begin() as conn:
        token, _ = create_token(conn, f"{role} of {offices}", role, "test", offices=offices)
    return api.auth(token)


def _last_activation(api: Api, office: str) -> dict:
    sent = [(topic, payload, retain) for topic, payload, retain in api.published
            if topic == topics.card_activation(office)]
    topic, payload, retain = sent[-1]
    envelope = decode(payload)
    keys = KeyDirectory()
    keys.add(api.context.event_key.public_entry("hub", ["event"]))
    verify(envelope, keys, owner="hub")
    assert retain and envelope.type == "card.activation" and envelope.agent == "hub"
    return envelope.body


def test_an_office_applies_a_reviewer_approves_and_suspends_and_the_desks_hear_each_change(api):
    office = _token(api, "operator", [RIGA])
    reviewer = api.auth(api.admin_token)
    base = f"/api/v1/card-applications/{RIGA}/VEH"
    refused = api.client.post(f"{base}/submit", headers=office)
    assert refused.status_code == 409
    assert [m["reason"] for m in refused.json()["missing"]] == ["contract_missing", "step_not_published"]
    with api.context.db.begin() as conn:
        publish_catalogue(conn)
    assert api.client.post("/api/v1/card-contracts", headers=office, json=CONTRACT).status_code == 201
    overview = api.client.get(f"/api/v1/card-applications/{RIGA}", headers=office).json()
    assert [(s["service"], s["state"], [m["reason"] for m in s["missing"]]) for s in overview] == [
        ("CASH-ONLY", "draft", ["no_card_price"]), ("VEH", "draft", [])]
    submitted = api.client.post(f"{base}/submit", headers=office)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    queue = api.client.get("/api/v1/card-applications?state=submitted", headers=reviewer).json()
    assert [(a["office"], a["service"]) for a in queue] == [(RIGA, "VEH")]
    assert api.client.post(f"{base}/approve", headers=office).status_code == 403     # an operator does not review
    no_text = api.client.post(f"{base}/comment", headers=reviewer, json={})
    assert no_text.status_code == 422 and no_text.json()["field"] == "text"
    assert api.client.post(f"{base}/comment", headers=reviewer, json={"text": "sign page 2"}).json()["state"] \
        == "commented"
    assert api.client.post(f"{base}/submit", headers=office, json={"text": "signed"}).json()["state"] == "submitted"
    assert _last_activation(api, RIGA)["active"] == []
    approved = api.client.post(f"{base}/approve", headers=reviewer)
    assert approved.json()["state"] == "active" and approved.json()["desks_told"] is True
    assert [a["service"] for a in _last_activation(api, RIGA)["active"]] == ["VEH"]
    wrong = api.client.post(f"{base}/approve", headers=reviewer)
    assert wrong.status_code == 409 and "active" in wrong.json()["detail"]
    suspended = api.client.post(f"{base}/suspend", headers=reviewer, json={"text": "fees unpaid"})
    assert suspended.json()["state"] == "suspended"
    assert _last_activation(api, RIGA)["active"] == []
    history = api.client.get(base, headers=office).json()["history"]
    assert [(e["action"], e["to_state"], e["text"]) for e in history] == [
        ("submit", "submitted", None), ("comment", "commented", "sign page 2"), ("submit", "submitted", "signed"),
        ("approve", "active", None), ("suspend", "suspended", "fees unpaid")]


def test_an_operator_of_another_office_neither_sees_nor_changes_it(api):
    with api.context.db.begin() as conn:
        publish_catalogue(conn)
    riga, roma = _token(api, "operator", [RIGA]), _token(api, "operator", ["ROMA-1"])
    assert api.client.post("/api/v1/card-contracts", headers=roma, json=CONTRACT).status_code == 422
    assert api.client.post("/api/v1/card-contracts", headers=riga, json=CONTRACT).status_code == 201
    assert api.client.post(f"/api/v1/card-applications/{RIGA}/VEH/submit", headers=riga).status_code == 200
    assert api.client.get("/api/v1/card-contracts", headers=roma).json() == []
    assert api.client.get("/api/v1/card-applications", headers=roma).json() == []
    assert api.client.get(f"/api/v1/card-applications/{RIGA}", headers=roma).status_code == 404
    assert api.client.get(f"/api/v1/card-applications/{RIGA}/VEH", headers=roma).status_code == 404
    assert api.client.post(f"/api/v1/card-applications/{RIGA}/VEH/submit", headers=roma).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({**CONTRACT, "valid_from": "yesterday"}, "valid_from"),
    ({**CONTRACT, "office": "Riga\n1"}, "office"),
    ({**CONTRACT, "valid_to": "2019-01-01"}, "valid_to"),
])
def test_a_bad_contract_is_refused_naming_the_field(api, body, field):
    answer = api.client.post("/api/v1/card-contracts", headers=api.auth(api.admin_token), json=body)
    assert answer.status_code == 422 and answer.json()["field"] == field


def test_a_bad_service_step_name_is_refused(api):
    answer = api.client.post(f"/api/v1/card-applications/{RIGA}/no%20such/submit", headers=api.auth(api.admin_token))
    assert answer.status_code == 422 and answer.json()["field"] == "service"
