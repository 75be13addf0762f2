"""The API-token and enrollment-token pages over real HTTP: a token shown once and working,
errors beside their fields with the typed values kept, revocation, CSRF, permissions, audit."""

from __future__ import annotations

import re

import httpx
import pytest

from hub.audit.log import entries

SECRET = re.compile(r'<p class="secret" id="shown-secret">([^<]+)</p>')


def test_an_api_token_is_shown_once_works_on_the_api_and_its_revocation_is_audited(hub, admin):
    created = admin.post("/tokens", data={"csrf_token": admin.csrf, "name": "exporter", "role": "auditor"})
    assert created.status_code == 303 and SECRET.search(created.text) is None
    token = SECRET.search(admin.get(created.headers["location"]).text).group(1)
    assert token not in admin.get("/tokens").text                   # shown only that once
    api = httpx.get(f"{hub.url}/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code != 401
    (token_id,) = re.findall(r'action="/tokens/(\d+)/revoke"', admin.get("/tokens").text)
    assert admin.post(f"/tokens/{token_id}/revoke", data={"csrf_token": admin.csrf}).status_code == 303
    assert httpx.get(f"{hub.url}/api/v1/payments", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with hub.db.connect() as conn:
        actions = [(e["actor"], e["action"]) for e in entries(conn, subject=f"token:{token_id}")]
    assert actions == [("user:boss", "token.revoke"), ("user:boss", "token.create")]


@pytest.mark.parametrize("fields, field, message", [
    ({"name": ""}, "name", "too short"),
    ({"role": "case-system", "case_system": ""}, "case_system", "belongs to one case system"),
])
def test_a_bad_api_token_form_says_what_is_wrong_beside_the_field(admin, fields, field, message):
    refused = admin.post("/tokens", data={"csrf_token": admin.csrf, "name": "exporter", "role": "auditor", **fields})
    assert refused.status_code == 422
    assert message in refused.text.split(f'id="f-{field}-error">')[1].split("</p>")[0]
    assert f'value="{fields.get("name", "exporter")}"' in refused.text
    assert SECRET.search(refused.text) is None


def test_an_enrollment_token_is_shown_once_listed_by_office_and_revoked(hub, admin):
    created = admin.post("/enrollment-tokens", data={"csrf_token": admin.csrf, "office": "ROMA-1", "hours": "48",
                                                     "agent_id": "", "note": "new PC"})
    assert created.status_code == 303 and created.headers["location"] == "/enrollment-tokens?office=ROMA-1"
    token = SECRET.search(admin.get(created.headers["location"]).text).group(1)
    assert token.startswith("cpe_")
    admin.post("/enrollment-tokens", data={"csrf_token": admin.csrf, "office": "MILANO", "hours": "1"})
    listed = admin.get("/enrollment-tokens", params={"office": "ROMA-1"}).text
    assert token not in listed and "new PC" in listed and "MILANO</a>" not in listed
    (token_id,) = re.findall(r'action="/enrollment-tokens/(\d+)/revoke"', listed)
    assert admin.post(f"/enrollment-tokens/{token_id}/revoke", data={"csrf_token": admin.csrf}).status_code == 303
    assert "revoked" in admin.get("/enrollment-tokens", params={"office": "ROMA-1"}).text
    with hub.db.connect() as conn:
        actions = [(e["actor"], e["action"]) for e in entries(conn, subject=f"enrollment_token:{token_id}")]
    assert actions == [("user:boss", "enrollment_token.revoke"), ("user:boss", "enrollment_token.create")]


@pytest.mark.parametrize("fields, field, message", [
    ({"hours": "2000"}, "hours", "must expire within 720 hours"),
    ({"hours": "12,5"}, "hours", "is not a number"),
    ({"office": ""}, "office", "1 to 64 characters"),
    ({"agent_id": "hub-x"}, "agent_id", "reserved for the hub"),
])
def test_a_bad_enrollment_form_says_what_is_wrong_beside_the_field_and_keeps_it(admin, fields, field, message):
    form = {"csrf_token": admin.csrf, "office": "ROMA-1", "hours": "48", "agent_id": "", **fields}
    refused = admin.post("/enrollment-tokens", data=form)
    assert refused.status_code == 422
    assert message in refused.text.split(f'id="f-{field}-error">')[1].split("</p>")[0]
    assert f'value="{form[field]}"' in refused.text


def test_token_forms_without_their_csrf_token_are_refused(hub, admin):
    assert admin.post("/tokens", data={"name": "x", "role": "auditor"}).status_code == 403
    assert admin.post("/enrollment-tokens", data={"office": "ROMA-1", "hours": "4"}).status_code == 403
    with hub.db.connect() as conn:
        assert not [e for e in entries(conn) if e["action"].endswith(".create") and e["actor"] == "user:boss"]


@pytest.mark.parametrize("path", ["/tokens", "/enrollment-tokens"])
def test_an_operator_cannot_open_the_token_pages(hub, path):
    hub.user("olga", "operator", ["ROMA-1"])
    olga = hub.client()
    olga.login("olga")
    refused = olga.get(path)
    assert refused.status_code == 403 and "Your role may not open this page." in refused.text


@pytest.mark.parametrize("path, form", [
    ("/tokens", {"name": "exporter", "role": "auditor"}),
    ("/enrollment-tokens", {"office": "ROMA-1", "hours": "48"}),
])
def test_reloading_the_page_after_a_new_token_makes_no_second_one(hub, admin, path, form):
    created = admin.post(path, data={"csrf_token": admin.csrf, **form})
    assert created.status_code == 303
    shown = admin.get(created.headers["location"])
    reloaded = admin.get(created.headers["location"])
    assert SECRET.search(shown.text) and SECRET.search(reloaded.text) is None
    with hub.db.connect() as conn:
        made = [e for e in entries(conn) if e["action"].endswith(".create") and e["actor"] == "user:boss"]
    assert len(made) == 1
