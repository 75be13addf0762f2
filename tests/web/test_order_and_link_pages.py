"""Making an order from catalogue positions and linking an unlinked payment, in Debian's headless
Chromium against a real `hub serve`: the amount is computed as quantities are typed, and a
payment that matched nothing is linked by hand to an order and shown linked."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from hub.api.app import context_from_settings
from hub.config import load
from hub.ingest.store import store_batch
from hub.store.timeutil import iso
from tests.hub.agents import FakeAgent
from tests.web import screenshots

CATALOGUE = {"price_lists": [{"code": "ID", "name": "Identity documents", "positions": [
    {"code": "ID-CARD", "name": "Identity card", "unit_price_minor": 2250},
    {"code": "PHOTO", "name": "Photo", "unit_price_minor": 300}]}]}


def _log_in(page, live_hub) -> None:
    page.goto(f"{live_hub.url}/login")
    page.get_by_label("Username").fill(live_hub.admin[0])
    page.get_by_label("Password").fill(live_hub.admin[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_hub.url}/")


def _publish_catalogue(live_hub) -> None:
    draft = httpx.post(f"{live_hub.url}/api/v1/catalogue/versions", headers=live_hub.auth, json=CATALOGUE)
    assert draft.status_code == 201, draft.text
    published = httpx.post(f"{live_hub.url}/api/v1/catalogue/versions/{draft.json()['version']}/publish",
                           headers=live_hub.auth)
    assert published.status_code == 200, published.text


def _store_payments(live_hub, *envelopes) -> None:
    """Through the ingest's own storage path, into the running hub's database."""
    context = context_from_settings(load(live_hub.config))
    try:
        with context.db.begin() as conn:
            store_batch(conn, [(e, e.encode().decode()) for e in envelopes], [], context.event_key)
    finally:
        context.db.dispose()


def test_an_order_made_from_positions_shows_its_amount_before_and_after_it_is_created(live_hub, web):
    page = web.page
    _publish_catalogue(live_hub)
    _log_in(page, live_hub)
    page.goto(f"{live_hub.url}/orders/new")
    page.get_by_label("Office").fill("ROMA-1")
    page.get_by_label("Quantity of ID-CARD").fill("1")
    page.get_by_label("Quantity of PHOTO").fill("2")
    total = page.locator("#order-total")
    total.get_by_text("Amount from the positions: €28.50").wait_for()
    page.get_by_label("Payer's name").fill("Ada Lovelace")
    page.get_by_role("button", name="Create the payment order").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+\?done=created"))
    facts = page.locator("main").inner_text()
    assert "€28.50" in facts and "Ada Lovelace" in facts and "ROMA-1" in facts
    assert web.outside_requests == []


def test_a_payment_that_matched_nothing_is_linked_by_hand_to_an_order(live_hub, web):
    page = web.page
    made = httpx.post(f"{live_hub.url}/api/v1/orders", headers=live_hub.auth,
                      json={"amount_minor": 4200, "office": "riga-1", "case_ref": "CASE-7", "payer": {"name": "Ada"}})
    assert made.status_code == 201, made.text
    order_id = made.json()["order_id"]
    agent, today = FakeAgent("desk-1"), iso(dt.datetime.now(dt.timezone.utc))     # today's, for the dashboard
    _store_payments(live_hub, agent.payment(4200, payer={"name": "Ada"}, captured_at=today),
                    agent.payment(1500, tender="cash", captured_at=today))
    _log_in(page, live_hub)
    assert "€42.00" in page.locator("main").inner_text() and "€15.00" in page.locator("main").inner_text()
    screenshots.screenshot(page, "dashboard")
    page.get_by_role("link", name="Unlinked payments").click()
    rows = page.locator("#unlinked tbody tr")
    assert rows.count() == 2
    rows.filter(has_text="€42.00").get_by_role("link", name="Link this payment").click()
    page.get_by_label("Order id").fill(order_id)
    page.get_by_label("Note (why you link it so)").fill("the payer phoned")
    page.get_by_role("button", name="Link the payment").click()
    page.get_by_text("The payment is linked").wait_for()
    assert "Linked" in page.locator("#link-status").inner_text()
    assert page.get_by_role("link", name=order_id).is_visible()
    screenshots.screenshot(page, "payment-detail")
    page.get_by_role("link", name="Unlinked payments").click()
    assert page.locator("#unlinked tbody tr").count() == 1
    assert web.outside_requests == []
