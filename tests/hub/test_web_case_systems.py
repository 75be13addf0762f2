"""The case systems page over real HTTP: register with the secret shown once, errors beside
their fields (an internal URL beside the URL), change, enable and disable, rotate without a
reload rotating again, audited under the admin's name, CSRF and permissions."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from hub.audit.log import entries
from hub.casesys import registry
from hub.store.tables_delivery import deliveries
from tests.hub.ops_support import delivery

SECRET = re.compile(r'<p class="secret" id="shown-secret">([^<]+)</p>')
FORM = {"name": "vr", "patterns": "case_ref VR-\\d{4}-\\d+\nrf RF\\d\\dAB.*", "priority": "10",
        "webhook_url": "https://cases.example.org/hook", "lookup_url": "", "internal": ""}


def _register(admin, **changes):
    return admin.post("/case-systems", data={"csrf_token": admin.csrf, **FORM, **changes})


def _stored(hub, name="vr"):
    with hub.db.connect() as conn:
        return registry.get(conn, name)


def test_a_registered_case_system_shows_its_secret_once_and_a_reload_shows_it_no_more(hub, admin):
    registered = _register(admin)
    assert registered.status_code == 303 and registered.headers["location"] == "/case-systems/vr?done=created"
    page = admin.get(registered.headers["location"])
    secret = SECRET.search(page.text).group(1)
    assert secret == _stored(hub)["secret"] and secret.startswith("whsec_")
    assert "The case system is registered." in page.text
    assert SECRET.search(admin.get("/case-systems/vr").text) is None
    listed = admin.get("/case-systems").text
    assert 'href="/case-systems/vr"' in listed and "case_ref VR-\\d{4}-\\d+" in listed and secret not in listed
    with hub.db.connect() as conn:
        assert [(e["actor"], e["action"]) for e in entries(conn, subject="case_system:vr")] == [
            ("user:boss", "case_system.create")]


def test_an_internal_webhook_url_is_refused_beside_the_url_field_unless_marked_internal(hub, admin):
    refused = _register(admin, webhook_url="http://127.0.0.1:9/hook")
    assert refused.status_code == 422
    assert "internal" in refused.text.split('id="f-webhook_url-error">')[1].split("</p>")[0]
    assert 'value="http://127.0.0.1:9/hook"' in refused.text and _stored(hub) is None
    refused = _register(admin, lookup_url="http://10.0.0.7/cases/{ref}")
    assert refused.status_code == 422 and 'id="f-lookup_url-error"' in refused.text
    assert 'id="f-webhook_url-error"' not in refused.text
    assert _register(admin, webhook_url="http://127.0.0.1:9/hook", internal="1").status_code == 303
    assert _stored(hub)["internal"]


@pytest.mark.parametrize("changes, field, message", [
    ({"name": "Not Valid"}, "name", "Use only letters, digits"),
    ({"patterns": ""}, "patterns", "at least one pattern"),
    ({"patterns": "case_ref"}, "patterns", "Line 1: write what the pattern looks at"),
    ({"patterns": "case_ref ok\nnowhere X.*"}, "patterns", "Line 2:"),
    ({"patterns": "case_ref (unclosed"}, "patterns", "not a regular expression the hub can match"),
    ({"webhook_url": "ftp://cases.example.org/"}, "webhook_url", "absolute http:// or https:// URL"),
])
def test_a_bad_case_system_form_says_what_is_wrong_beside_the_field_and_keeps_it(hub, admin, changes, field,
                                                                                message):
    refused = _register(admin, **changes)
    assert refused.status_code == 422
    assert message in refused.text.split(f'id="f-{field}-error">')[1].split("</p>")[0]
    assert "cases.example.org" in refused.text or "ftp://" in refused.text
    assert _stored(hub, changes.get("name", "vr")) is None


def test_a_second_case_system_of_the_same_name_is_refused_beside_the_name(admin):
    _register(admin)
    refused = _register(admin)
    assert refused.status_code == 422 and "is registered already" in refused.text


def test_a_case_system_is_changed_disabled_enabled_and_its_secret_rotated_once(hub, admin):
    _register(admin)
    first = _stored(hub)["secret"]
    changed = admin.post("/case-systems/vr", data={"csrf_token": admin.csrf, **FORM, "patterns": "any X-\\d+",
                                                   "priority": "5"})
    assert changed.status_code == 303
    assert _stored(hub)["priority"] == 5 and "X-" in _stored(hub)["patterns"]
    assert admin.post("/case-systems/vr/disable", data={"csrf_token": admin.csrf}).status_code == 303
    assert not _stored(hub)["enabled"] and "disabled by user:boss" in admin.get("/case-systems/vr").text
    assert admin.post("/case-systems/vr/enable", data={"csrf_token": admin.csrf}).status_code == 303
    assert _stored(hub)["enabled"]
    rotated = admin.post("/case-systems/vr/rotate", data={"csrf_token": admin.csrf})
    assert rotated.status_code == 303 and rotated.headers["location"] == "/case-systems/vr?done=rotated"
    shown = SECRET.search(admin.get(rotated.headers["location"]).text).group(1)
    assert admin.get(rotated.headers["location"]).status_code == 200          # a reload rotates nothing
    assert (_stored(hub)["secret"], _stored(hub)["previous_secret"]) == (shown, first)
    assert admin.post("/case-systems/vr/drop-previous", data={"csrf_token": admin.csrf}).status_code == 303
    assert _stored(hub)["previous_secret"] is None
    with hub.db.connect() as conn:
        actions = [(e["actor"], e["action"]) for e in entries(conn, subject="case_system:vr")]
    assert actions == [("user:boss", "case_system.update")] * 5 + [("user:boss", "case_system.create")]


def test_a_change_to_an_internal_url_is_refused_beside_it_and_keeps_what_was_typed(hub, admin):
    _register(admin)
    refused = admin.post("/case-systems/vr", data={"csrf_token": admin.csrf, **FORM,
                                                   "webhook_url": "http://192.168.1.5/hook"})
    assert refused.status_code == 422 and 'id="f-webhook_url-error"' in refused.text
    assert 'value="http://192.168.1.5/hook"' in refused.text
    assert _stored(hub)["webhook_url"] == FORM["webhook_url"]


def test_case_system_forms_without_their_csrf_token_are_refused(hub, admin):
    assert admin.post("/case-systems", data=FORM).status_code == 403
    _register(admin)
    assert admin.post("/case-systems/vr/rotate").status_code == 403
    assert _stored(hub)["previous_secret"] is None


def test_only_an_admin_opens_the_case_systems_page(hub, admin):
    hub.user("fiona", "finance")
    fiona = hub.client()
    fiona.login("fiona")
    assert fiona.get("/case-systems").status_code == 403
    assert 'href="/case-systems"' not in fiona.get("/").text
    assert 'href="/case-systems"' in admin.get("/").text
    assert admin.get("/case-systems/nothing").status_code == 404


def test_registering_a_case_system_routes_the_confirmations_that_waited_for_it(hub, admin):
    with hub.db.begin() as conn:
        delivery(conn, "ev-1", "desk-1", status="unrouted", case_system=None)
        conn.execute(deliveries.update().where(deliveries.c.event_id == "ev-1").values(
            payload=json.dumps({"data": {"payment": {"case_ref": "VR-2026-7"}, "link": {}}})))
    registered = _register(admin)
    assert registered.headers["location"] == "/case-systems/vr?done=created&routed=1"
    assert "now go to one: 1." in admin.get(registered.headers["location"]).text
    with hub.db.connect() as conn:
        row = conn.execute(select(deliveries).where(deliveries.c.event_id == "ev-1")).mappings().one()
    assert (row["case_system"], row["status"]) == ("vr", "pending")
