"""The console's login over real HTTP: sessions, throttling with its DB counters, CSRF,
cookies' flags, a disabled user's and a logged-out session ended at once."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import update

from hub.store.tables_users import user_sessions
from hub.store.timeutil import iso
from hub.users import service, throttle
from tests.hub.web_support import PASSWORD, console


@pytest.fixture
def hub(tmp_path):
    with console(tmp_path) as running:
        yield running


def test_the_dashboard_needs_a_login_and_the_right_password_opens_it(hub):
    hub.user("anna", "operator", ["ROMA-1"])
    visitor = hub.client()
    assert visitor.get("/").headers["location"] == "/login?next=%2F"
    wrong = visitor.login("anna", "not the password")
    assert wrong.status_code == 401
    assert "The username or the password is not right." in wrong.text
    assert 'value="anna"' in wrong.text                       # the typed username is kept
    assert visitor.login("anna").status_code == 303
    page = visitor.get("/")
    assert page.status_code == 200 and "<h1>Dashboard</h1>" in page.text and 'lang="en"' in page.text
    assert "X-CSRF-Token" in page.text                        # htmx sends the token from <body hx-headers>


def test_a_desk_clerk_and_a_disabled_user_are_refused_with_a_reason(hub):
    hub.user("desk1", "desk", ["ROMA-1"])
    hub.user("gone", "finance")
    with hub.db.begin() as conn:
        service.set_disabled(conn, "gone", True, "test")
    desk = hub.client().login("desk1")
    assert desk.status_code == 403 and "counter program" in desk.text
    disabled = hub.client().login("gone")
    assert disabled.status_code == 403 and "disabled" in disabled.text


def test_five_failures_for_one_user_make_the_next_try_wait_even_with_the_right_password(hub):
    hub.user("anna", "operator", ["ROMA-1"])
    visitor = hub.client()
    for _ in range(5):
        assert visitor.login("anna", "guess guess guess").status_code == 401
    refused = visitor.login("anna")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed logins. Try again in 1" in refused.text     # 14 min … s or 15 min 0 s
    with hub.db.connect() as conn:
        assert throttle.failures(conn, username="anna") == 5        # the throttled try is not counted
    assert hub.client().login("someone-else", "x" * 12).status_code == 401   # other users are not blocked


def test_failures_from_one_address_across_usernames_are_throttled(tmp_path):
    with console(tmp_path, login_max_failures_per_address=3) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        visitor = hub.client()
        for name in ("bob", "carl", "dora"):
            assert visitor.login(name, "guess guess guess").status_code == 401
        assert visitor.login("anna").status_code == 429
        with hub.db.connect() as conn:
            assert throttle.failures(conn, address="127.0.0.1") == 3


def test_the_throttle_window_is_the_configured_one(tmp_path):
    with console(tmp_path, login_max_failures=2, login_window_minutes=1) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        visitor = hub.client()
        for _ in range(2):
            visitor.login("anna", "guess guess guess")
        refused = visitor.login("anna")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60


def test_a_post_without_its_csrf_token_is_refused_with_a_readable_page(hub):
    hub.user("anna", "operator", ["ROMA-1"])
    visitor = hub.client()
    visitor.login("anna")
    refused = visitor.post("/logout")
    assert refused.status_code == 403 and "security token" in refused.text
    assert visitor.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert visitor.get("/").status_code == 200                         # still logged in
    assert visitor.post("/logout", headers={"X-CSRF-Token": visitor.csrf}).status_code == 303
    no_login_token = hub.client().post("/login", data={"username": "anna", "password": PASSWORD})
    assert no_login_token.status_code == 403


def test_a_disabled_users_open_session_ends_at_once(hub):
    hub.user("anna", "operator", ["ROMA-1"])
    visitor = hub.client()
    visitor.login("anna")
    assert visitor.get("/").status_code == 200
    with hub.db.begin() as conn:
        service.set_disabled(conn, "anna", True, "user:admin")
    assert visitor.get("/").status_code == 303
    with hub.db.begin() as conn:
        service.set_disabled(conn, "anna", False, "user:admin")
    assert visitor.get("/").status_code == 303                         # the ended session stays ended


def test_a_logged_out_session_cookie_opens_nothing(hub):
    hub.user("anna", "operator", ["ROMA-1"])
    visitor = hub.client()
    visitor.login("anna")
    cookie = visitor.cookies["cp_session"]
    visitor.post("/logout", data={"csrf_token": visitor.csrf})
    replay = httpx.get(f"{hub.url}/", cookies={"cp_session": cookie}, follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


def test_an_idle_session_ends_after_the_configured_idle_timeout(tmp_path):
    with console(tmp_path, idle_timeout_minutes=5) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        visitor = hub.client()
        visitor.login("anna")
        four_minutes_ago = iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=4))
        with hub.db.begin() as conn:
            conn.execute(update(user_sessions).values(last_seen=four_minutes_ago))
        assert visitor.get("/").status_code == 200
        six_minutes_ago = iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6))
        with hub.db.begin() as conn:
            conn.execute(update(user_sessions).values(last_seen=six_minutes_ago))
        assert visitor.get("/").status_code == 303


def test_cookies_are_secure_httponly_and_samesite_lax_with_the_configured_lifetime(tmp_path):
    with console(tmp_path, secure_cookies=True, session_lifetime_hours=2) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        form = httpx.get(f"{hub.url}/login")
        token = form.cookies["cp_login_csrf"]
        assert "secure" in form.headers["set-cookie"].lower()
        done = httpx.post(f"{hub.url}/login", cookies={"cp_login_csrf": token},
                          data={"username": "anna", "password": PASSWORD, "csrf_token": token})
        assert done.status_code == 303
        cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("cp_session="))
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax", "max-age=7200", "path=/"} <= flags
    with console(tmp_path / "plain") as hub:
        assert "secure" not in httpx.get(f"{hub.url}/login").headers["set-cookie"].lower()
