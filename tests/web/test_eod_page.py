"""The end-of-day page in Chromium: from the dashboard's mismatches tile to the batch with
both figures, filters kept in the URL, and the mismatch gone once the late payment lands."""

from __future__ import annotations

from contextlib import contextmanager

from playwright.sync_api import expect

from protocol.keys import SigningKey
from hub import config
from hub.store.db import Database
from tests.hub.eod_support import Desk, store
from tests.web import screenshots


@contextmanager
def _database(live_hub):
    db = Database.open(config.load(live_hub.config).database_url)
    try:
        yield db
    finally:
        db.dispose()


def test_the_mismatches_tile_leads_to_the_batch_and_a_late_payment_clears_it(live_hub, page):
    key = SigningKey.generate()
    desk = Desk("desk-riga-1")
    late = desk.card(2500, batch_no=2)
    with _database(live_hub) as db:
        store(db, key, desk.card(1500, batch_no=1), desk.report(1, 1500, batch_no=1),
              desk.card(1000, batch_no=2), desk.report(2, 3500, batch_no=2, closed_at="2026-11-22T19:00:00.000Z"))
    page.goto(f"{live_hub.url}/login?next=/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(live_hub.admin[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_hub.url}/")

    page.locator("#eod-mismatch-count a").click()
    page.wait_for_url(f"{live_hub.url}/eod?status=mismatch")
    rows = page.locator("#eod-reports tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("count 2, total €35.00")
    expect(rows.first).to_contain_text("count 1, total €10.00")
    expect(rows.first).to_contain_text("the batch totals €35.00, the hub €10.00")
    screenshots.screenshot(page, "eod")

    page.get_by_label("Status").select_option("matched")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"{live_hub.url}/eod?office=&agent=&date=&status=matched")
    expect(rows).to_have_count(1)
    expect(page.locator("tr.eod-matched")).to_have_attribute("data-batch", "desk-riga-1-b1")

    with _database(live_hub) as db:
        store(db, key, late)
    page.goto(f"{live_hub.url}/")
    expect(page.locator("#eod-mismatch-count")).to_have_text("0")
    page.goto(f"{live_hub.url}/eod")
    expect(page.locator("tr.eod-mismatch")).to_have_count(0)
    expect(page.locator("tr.eod-matched")).to_have_count(2)
