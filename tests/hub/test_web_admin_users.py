"""The users page over real HTTP: create with errors next to the fields and the typed values
kept, disable (ending the user's sessions) and enable, reset a password, the admin's own
account kept enabled, CSRF and the admin-only permission, every change audited by name."""

from __future__ import annotations

import pytest

from hub.audit.log import entries
from tests.hub.web_support import PASSWORD

NEW_PASSWORD = "a quite long new password"


def _create(admin, **fields):
    form = {"csrf_token": admin.csrf, "username": "olga", "role": "operator", "offices": "ROMA-1",
            "language": "pl", "password": PASSWORD, "password_again": PASSWORD, **fields}
    return admin.post("/users", data=form)


def test_an_admin_creates_an_operator_of_one_office_audited_under_the_admins_name(hub, admin):
    created = _create(admin)
    assert created.status_code == 303 and created.headers["location"] == "/users?done=created"
    listing = admin.get("/users").text
    assert '<a href="/users/olga">olga</a>' in listing and "ROMA-1" in listing
    with hub.db.connect() as conn:
        (entry,) = entries(conn, subject="user:olga")
    assert entry["actor"] == "user:boss" and entry["action"] == "user.create"
    assert hub.client().login("olga").status_code == 303


@pytest.mark.parametrize("fields, field, message", [
    ({"username": "Bad Name!"}, "username", "may hold only lower-case letters"),
    ({"offices": ""}, "offices", "works for named offices"),
    ({"password": "short", "password_again": "short"}, "password", "at least 12 characters"),
    ({"password_again": "something else entirely"}, "password_again", "The two new passwords differ."),
])
def test_a_bad_user_form_says_what_is_wrong_next_to_the_field_and_keeps_what_was_typed(admin, fields, field,
                                                                                         message):
    refused = _create(admin, **fields)
    assert refused.status_code == 422
    assert f'<p class="error" id="f-{field}-error">' in refused.text
    error = refused.text.split(f'id="f-{field}-error">')[1].split("</p>")[0]
    assert message in error
    assert f'aria-describedby="f-{field}-error"' in refused.text
    typed = fields.get("username", "olga")
    assert f'value="{typed}"' in refused.text
    assert '<option value="pl" lang="pl" selected>' in refused.text
    assert PASSWORD not in refused.text                        # passwords are never sent back


def test_a_disabled_users_open_session_ends_at_once_and_enabling_lets_them_back(hub, admin):
    hub.user("olga", "operator", ["ROMA-1"])
    olga = hub.client()
    olga.login("olga")
    assert olga.get("/").status_code == 200
    assert admin.post("/users/olga/disable", data={"csrf_token": admin.csrf}).status_code == 303
    assert olga.get("/").headers["location"] == "/login?next=%2F"
    assert "disabled" in hub.client().login("olga").text
    assert admin.post("/users/olga/enable", data={"csrf_token": admin.csrf}).status_code == 303
    assert hub.client().login("olga").status_code == 303
    with hub.db.connect() as conn:
        actions = [(e["actor"], e["action"]) for e in entries(conn, subject="user:olga")]
    assert ("user:boss", "user.disable") in actions and ("user:boss", "user.enable") in actions


def test_an_admin_cannot_disable_themselves(hub, admin):
    refused = admin.post("/users/boss/disable", data={"csrf_token": admin.csrf})
    assert refused.status_code == 422 and "You cannot disable the user you are logged in as." in refused.text
    assert admin.get("/users").status_code == 200


def test_a_password_reset_ends_the_users_sessions_and_the_new_password_opens(hub, admin):
    hub.user("olga", "operator", ["ROMA-1"])
    olga = hub.client()
    olga.login("olga")
    mismatch = admin.post("/users/olga/password", data={"csrf_token": admin.csrf, "password": NEW_PASSWORD,
                                                       "password_again": "not the same at all"})
    assert mismatch.status_code == 422 and 'id="f-password_again-error"' in mismatch.text
    reset = admin.post("/users/olga/password", data={"csrf_token": admin.csrf, "password": NEW_PASSWORD,
                                                    "password_again": NEW_PASSWORD})
    assert reset.status_code == 303
    assert olga.get("/").status_code == 303
    assert hub.client().login("olga", NEW_PASSWORD).status_code == 303


def test_a_user_form_posted_without_its_csrf_token_is_refused(hub, admin):
    refused = _create(admin, csrf_token="")
    assert refused.status_code == 403 and "security token" in refused.text
    with hub.db.connect() as conn:
        assert entries(conn, subject="user:olga") == []


@pytest.mark.parametrize("path", ["/users", "/users/boss", "/tokens"])
def test_an_operator_cannot_open_the_admin_pages(hub, path):
    hub.user("olga", "operator", ["ROMA-1"])
    olga = hub.client()
    olga.login("olga")
    refused = olga.get(path)
    assert refused.status_code == 403 and "Your role may not open this page." in refused.text
    assert 'href="/users"' not in olga.get("/").text          # nor does the navigation offer it
