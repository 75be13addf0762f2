"""The back office's operations pages in Chromium: replay a dead letter, verify the audit chain, screenshots."""

from __future__ import annotations

from contextlib import contextmanager

from playwright.sync_api import expect

from hub import config
from hub.store.db import Database
from tests.hub.ops_support import agent, delivery
from tests.web import screenshots


@contextmanager
def _database(live_hub):
    db = Database.open(config.load(live_hub.config).database_url)
    try:
        yield db
    finally:
        db.dispose()


def _log_in(page, live_hub, next_path: str = "/") -> None:
    page.goto(f"{live_hub.url}/login?next={next_path}")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(live_hub.admin[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_hub.url}{next_path}")


def test_a_dead_letter_is_replayed_from_its_page_and_waits_again(live_hub, page):
    with _database(live_hub) as db, db.begin() as conn:
        agent(conn, "desk-roma-1", "ROMA-1", serial="0a01")
        agent(conn, "desk-roma-2", "ROMA-1", online=False, serial="0a02")
        delivery(conn, "ev-dead-1", "desk-roma-1", error="HTTP 503 from https://tax.example/hook: try later")
        delivery(conn, "ev-waiting-1", "desk-roma-2", status="pending")
    _log_in(page, live_hub)
    page.locator("#dead-count a").click()
    page.wait_for_url(f"{live_hub.url}/deliveries/dead")
    assert "HTTP 503 from https://tax.example/hook" in page.inner_text("#deliveries")
    screenshots.screenshot(page, "dead-letters")
    page.get_by_role("link", name="ev-dead-1").click()
    assert page.inner_text("#delivery-status") == "dead letter"
    page.get_by_role("button", name="Replay this confirmation").click()
    page.wait_for_url(f"{live_hub.url}/deliveries/ev-dead-1?done=replayed")
    assert page.inner_text("#delivery-status") == "waiting"
    page.goto(f"{live_hub.url}/deliveries")
    assert "ev-dead-1" in page.inner_text("#deliveries") and "ev-waiting-1" in page.inner_text("#deliveries")
    screenshots.screenshot(page, "deliveries")
    page.goto(f"{live_hub.url}/agents")
    assert "desk-roma-2" in page.inner_text("#agents")
    screenshots.screenshot(page, "agents")


def test_the_audit_verify_button_says_the_chain_is_intact(live_hub, page):
    _log_in(page, live_hub, "/audit")
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.locator("#verdict")).to_contain_text("The audit log is intact")
    assert "user.create" in page.inner_text("#audit")
    screenshots.screenshot(page, "audit")
