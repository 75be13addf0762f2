"""The bank accounts page in a real headless Chromium against a real `hub serve`: a finance user of
one office adds an account after an IBAN typed wrong is refused next to its field, sees it listed,
and closes it after the confirmation; an operator of another office sees none of it and no form."""

from __future__ import annotations

import re

from tests.web import screenshots

PASSWORD = "correct horse battery staple"


def _user(live_hub, username: str, role: str, office: str) -> None:
    made = live_hub.cli("user", "create", "--username", username, "--role", role, "--office", office,
                        "--password-stdin", input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def test_a_finance_user_adds_an_account_after_a_wrong_iban_is_refused_beside_its_field_and_closes_it(live_hub, web):
    _user(live_hub, "fina", "finance", "ROMA-1")
    page = web.page
    _log_in(page, live_hub.url, "fina")
    page.get_by_role("link", name="Bank accounts").click()
    page.wait_for_url(f"{live_hub.url}/accounts")
    assert page.get_by_text("No bank accounts yet.").is_visible()

    page.get_by_label("IBAN").fill("IT61 X054 2811 1010 0000 0123 456")
    page.get_by_label("Holder").fill("Comune di Roma")
    page.get_by_role("button", name="Add the account").click()
    iban = page.get_by_label("IBAN")
    assert iban.get_attribute("aria-invalid") == "true"
    error = page.locator(f"#{iban.get_attribute('aria-describedby')}")
    assert "check digits do not match" in error.inner_text()
    assert iban.input_value() == "IT61 X054 2811 1010 0000 0123 456"    # kept, to be corrected

    iban.fill("IT60 X054 2811 1010 0000 0123 456")
    page.get_by_label("Bank", exact=True).fill("Banca d'Italia")
    page.get_by_role("button", name="Add the account").click()
    page.wait_for_url(f"{live_hub.url}/accounts?done=added")
    row = page.get_by_role("row", name=re.compile("IT60 X054"))
    assert "ROMA-1" in row.inner_text() and "Comune di Roma" in row.inner_text() and "In use" in row.inner_text()
    screenshots.screenshot(page, "accounts")

    row.get_by_role("link", name=re.compile("Close account")).click()
    page.get_by_role("button", name="Close the account").click()
    assert "Tick the box" in page.locator("#f-confirm-error").inner_text()
    page.get_by_label("Last day in use").fill("2020-01-31")
    page.get_by_label(re.compile("Yes, close account")).check()
    page.get_by_role("button", name="Close the account").click()
    page.wait_for_url(re.compile(r"/accounts\?done=closed"))
    row = page.get_by_role("row", name=re.compile("IT60 X054"))
    assert "2020-01-31" in row.inner_text() and "Not in use" in row.inner_text()
    assert row.get_by_role("link", name=re.compile("Close account")).count() == 0

    # An operator of another office: no account of ROMA-1, no form, and closing is refused.
    _user(live_hub, "marco", "operator", "MILANO-2")
    page.get_by_role("button", name="Log out").click()
    _log_in(page, live_hub.url, "marco")
    page.goto(f"{live_hub.url}/accounts")
    assert page.get_by_text("No bank accounts yet.").is_visible()
    assert page.get_by_role("button", name="Add the account").count() == 0
    assert page.goto(f"{live_hub.url}/accounts/IT60X0542811101000000123456/close").status == 403
