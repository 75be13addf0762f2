"""The card payments page in a real headless Chromium against a real `hub serve`: an office's operator
sees what submitting needs, registers the contract and submits; a supervisor finds it in the queue,
comments, approves after the office submits again, and suspends; the history keeps who, when and why;
an operator of another office gets the not-found page."""

from __future__ import annotations

import re

import httpx

from tests.hub.activation_support import CATALOGUE
from tests.web import screenshots
from tests.web.test_accounts_page import _log_in, _user


def _publish_catalogue(live_hub) -> None:
    made = httpx.post(f"{live_hub.url}/api/v1/catalogue/versions", json=CATALOGUE, headers=live_hub.auth)
    assert made.status_code == 201, made.text
    published = httpx.post(f"{live_hub.url}/api/v1/catalogue/versions/{made.json()['version']}/publish",
                           headers=live_hub.auth)
    assert published.status_code == 200, published.text


def _step_form(page, service: str, action: str):
    return page.locator(f"#step-{service} form[action$='/{action}']")


def test_an_office_applies_and_a_supervisor_comments_approves_and_suspends(live_hub, web, browser):
    _publish_catalogue(live_hub)
    _user(live_hub, "clerk-riga", "operator", "RIGA-1")
    _user(live_hub, "boss", "supervisor", "RIGA-1")
    _user(live_hub, "clerk-roma", "operator", "ROMA-1")
    office = web.page
    _log_in(office, live_hub.url, "clerk-riga")
    office.get_by_role("link", name="Card payments").click()
    office.wait_for_url(f"{live_hub.url}/card-payments")
    veh = office.locator("#step-VEH")
    assert "draft" in veh.inner_text() and "a card-payment contract of office RIGA-1" in veh.inner_text()
    assert _step_form(office, "VEH", "submit").count() == 0           # nothing to submit until the contract is there
    assert "a priced position of price list CASH-ONLY that accepts cards" in office.locator("#step-CASH-ONLY").inner_text()

    office.get_by_label("Acquirer").fill("Swedbank")
    office.get_by_label("Contract number").fill("K-2026-1")
    office.get_by_label("Valid from").fill("2026-01-01")
    office.get_by_label("Valid to").fill("2025-01-01")
    office.get_by_role("button", name="Register the contract").click()
    valid_to = office.get_by_label("Valid to")
    assert valid_to.get_attribute("aria-invalid") == "true"
    assert "ends (2025-01-01) before it starts (2026-01-01)" in office.locator(
        f"#{valid_to.get_attribute('aria-describedby')}").inner_text()
    valid_to.fill("")
    office.get_by_role("button", name="Register the contract").click()
    office.wait_for_url(re.compile(r"done=contract"))
    assert "Swedbank" in office.locator("#contracts").inner_text()
    _step_form(office, "VEH", "submit").get_by_role("button", name="Submit").click()
    office.wait_for_url(re.compile(r"done=submit"))
    assert "submitted" in office.locator("#step-VEH").inner_text()
    assert _step_form(office, "VEH", "approve").count() == 0          # an operator does not review

    reviewer_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    reviewer = reviewer_context.new_page()
    try:
        _log_in(reviewer, live_hub.url, "boss")
        reviewer.goto(f"{live_hub.url}/card-payments")
        assert "RIGA-1" in reviewer.locator("#queue").inner_text() and "VEH" in reviewer.locator("#queue").inner_text()
        screenshots.screenshot(reviewer, "card-payments")
        comment = _step_form(reviewer, "VEH", "comment")
        comment.get_by_label("What the office must fix").fill("Attach the signed page 2")
        comment.get_by_role("button", name=re.compile("Comment")).click()
        reviewer.wait_for_url(re.compile(r"done=comment"))
        assert "commented" in reviewer.locator("#step-VEH").inner_text()

        office.reload()
        assert "Attach the signed page 2" in office.locator("#step-VEH").inner_text()
        submit = _step_form(office, "VEH", "submit")
        submit.get_by_label("Note for the reviewer (optional)").fill("Page 2 attached")
        submit.get_by_role("button", name="Submit").click()
        office.wait_for_url(re.compile(r"done=submit"))

        reviewer.reload()
        _step_form(reviewer, "VEH", "approve").get_by_role("button", name="Approve: take cards").click()
        reviewer.wait_for_url(re.compile(r"done=approve"))
        assert "now take cards" in reviewer.get_by_role("status").inner_text()
        assert "active" in reviewer.locator("#step-VEH").inner_text()
        suspend = _step_form(reviewer, "VEH", "suspend")
        suspend.get_by_label("Why it is suspended").fill("Terminal fees unpaid")
        suspend.get_by_role("button", name="Suspend").click()
        reviewer.wait_for_url(re.compile(r"done=suspend"))
        row = reviewer.locator("#step-VEH")
        assert "suspended" in row.inner_text()
        row.get_by_text("History").click()
        history = row.locator("table.history").inner_text()
        for expected in ("user:clerk-riga", "user:boss", "Attach the signed page 2", "Page 2 attached",
                         "Terminal fees unpaid", "active → suspended"):
            assert expected in history, expected
    finally:
        reviewer_context.close()

    stranger_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    stranger = stranger_context.new_page()
    try:
        _log_in(stranger, live_hub.url, "clerk-roma")
        answer = stranger.goto(f"{live_hub.url}/card-payments?office=RIGA-1")
        assert answer.status == 404 and "RIGA-1 is not one of yours" in stranger.content()
    finally:
        stranger_context.close()
    assert web.outside_requests == []
