"""The back office's admin pages in a real headless Chromium against a real `hub serve`:
the first admin creates an operator of office A, makes an enrollment token and sees it
once, publishes a catalogue version of two positions after fixing a price typed wrong,
and disables a user whose open session (another browser context) ends at the next click."""

from __future__ import annotations

import re

from tests.web import screenshots

OPERATOR_PASSWORD = "operator password 123"


def _log_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def _create_operator(page, url: str, username: str) -> None:
    page.goto(f"{url}/users")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Role", exact=True).select_option("operator")
    page.get_by_label("Offices").fill("OFFICE-A")
    page.get_by_label("Initial password").fill(OPERATOR_PASSWORD)
    page.get_by_label("Password again").fill(OPERATOR_PASSWORD)
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url(f"{url}/users?done=created")


def test_the_first_admin_creates_an_operator_and_an_enrollment_token_seen_once(live_hub, web):
    page = web.page
    _log_in(page, live_hub.url, *live_hub.admin)
    _create_operator(page, live_hub.url, "olga")
    row = page.get_by_role("row", name=re.compile("olga"))
    assert "OFFICE-A" in row.inner_text() and "Back-office clerk" in row.inner_text()
    screenshots.screenshot(page, "users")

    page.get_by_role("link", name="Enrollment tokens").click()
    page.get_by_label("Office", exact=True).last.fill("OFFICE-A")
    page.get_by_label("Valid for (hours)").fill("48")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#shown-secret").inner_text()
    assert token.startswith("cpe_")
    page.goto(f"{live_hub.url}/enrollment-tokens?office=OFFICE-A")
    assert page.locator("#shown-secret").count() == 0 and token not in page.content()
    assert page.get_by_role("button", name=re.compile("Revoke token")).count() == 1
    assert web.outside_requests == []


def test_a_catalogue_of_two_positions_is_published_after_a_price_typed_wrong_is_fixed(live_hub, web):
    page = web.page
    _log_in(page, live_hub.url, *live_hub.admin)
    page.get_by_role("link", name="Fee catalogue").click()
    page.get_by_role("link", name="New draft").click()
    page.get_by_label("Price list code").fill("PASSPORT")
    page.get_by_label("Price list name").fill("Passports")
    page.get_by_label("Code, row 1", exact=True).fill("ADULT")
    page.get_by_label("Name, row 1").fill("Adult passport")
    page.get_by_label("Unit price, row 1").fill("12,50")           # a comma in English: refused
    page.get_by_role("button", name="Add a position row").click()
    page.get_by_label("Code, row 2", exact=True).fill("CHILD")
    page.get_by_label("Name, row 2").fill("Child passport")
    page.get_by_label("Unit price, row 2").fill("6.00")
    page.get_by_role("button", name="Save as draft").click()
    price = page.get_by_label("Unit price, row 1")
    assert price.get_attribute("aria-invalid") == "true" and price.input_value() == "12,50"
    assert "is not a number" in page.locator("#f-pl0-p0-unit_price_minor-error").inner_text()
    assert page.get_by_label("Name, row 2").input_value() == "Child passport"
    assert page.locator("#f-pl0-error").count() == 0         # the price's own message, not a second one
    page.locator("table.editor").scroll_into_view_if_needed()
    screenshots.screenshot(page, "catalogue-editor")
    price.fill("12.50")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r"/catalogue/versions/\d+\?done=draft"))
    page.get_by_role("button", name="Publish to the counters").click()
    page.wait_for_url(re.compile(r"\?done=published"))
    assert "published" in page.locator("h1").inner_text()
    body = page.locator("main").inner_text()
    assert "€12.50" in body and "€6.00" in body


def test_a_disabled_users_open_session_ends_at_their_next_click(live_hub, web, browser):
    page = web.page
    _log_in(page, live_hub.url, *live_hub.admin)
    _create_operator(page, live_hub.url, "olga")
    other = browser.new_context()
    try:
        olga = other.new_page()
        _log_in(olga, live_hub.url, "olga", OPERATOR_PASSWORD)
        page.goto(f"{live_hub.url}/users/olga")
        page.get_by_role("button", name="Disable user").click()
        page.wait_for_url(re.compile(r"done=disabled"))
        olga.get_by_role("link", name="Dashboard").click()
        olga.wait_for_url(re.compile(r"/login"))
        assert olga.get_by_label("Username").is_visible()
    finally:
        other.close()


def test_a_case_system_on_the_office_network_is_registered_once_marked_internal(live_hub, web):
    page = web.page
    _log_in(page, live_hub.url, *live_hub.admin)
    page.get_by_role("link", name="Case systems").click()
    page.get_by_label("Name").fill("registry-office")
    page.get_by_label("Patterns").fill("case_ref RO-\\d{4}-\\d+\npagopa 3\\d{17}")
    page.get_by_label("Webhook URL").fill("http://192.168.10.4/counterpay")
    page.get_by_role("button", name="Register").click()
    url = page.get_by_label("Webhook URL")
    assert url.get_attribute("aria-invalid") == "true" and url.input_value() == "http://192.168.10.4/counterpay"
    assert "mark the case system internal" in page.locator("#f-webhook_url-error").inner_text()
    page.get_by_label("Internal").check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/case-systems/registry-office\?done=created"))
    secret = page.locator("#shown-secret").inner_text()
    assert secret.startswith("whsec_")
    page.reload()
    assert page.locator("#shown-secret").count() == 0
    page.get_by_role("link", name="All case systems").click()
    assert "registry-office" in page.get_by_role("row", name=re.compile("registry-office")).inner_text()
    screenshots.screenshot(page, "case-systems")
    assert web.outside_requests == []
