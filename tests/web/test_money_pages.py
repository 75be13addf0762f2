"""Payments and orders in Debian's headless Chromium against a real `hub serve`: log in, search,
import a spreadsheet with one bad row refused whole, and an operator of office A refused office
B's order in the list, by typed URL and through the API."""

from __future__ import annotations


import httpx
from openpyxl import Workbook

from tests.web import screenshots

PASSWORD = "correct horse battery staple"


def _operator(live_hub, username: str, office: str) -> None:
    made = live_hub.cli("user", "create", "--username", username, "--role", "operator", "--office", office,
                        "--password-stdin", input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr


def _order(live_hub, office: str, case_ref: str) -> str:
    response = httpx.post(f"{live_hub.url}/api/v1/orders", headers=live_hub.auth,
                          json={"amount_minor": 4200, "office": office, "case_ref": case_ref, "payer": {"name": "Ada"}})
    assert response.status_code == 201, response.text
    return response.json()["order_id"]


def _log_in(page, live_hub, username: str) -> None:
    page.goto(f"{live_hub.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_hub.url}/")


def test_an_operator_of_office_a_is_refused_office_bs_order_everywhere(live_hub, page):
    _operator(live_hub, "anna", "ROMA-1")
    mine, theirs = _order(live_hub, "ROMA-1", "CASE-A"), _order(live_hub, "MILANO-2", "CASE-B")
    _log_in(page, live_hub, "anna")
    page.get_by_role("link", name="Payment orders").click()
    listed = page.locator("#orders tbody tr").all_inner_texts()
    assert len(listed) == 1 and mine in listed[0] and theirs not in page.content()
    screenshots.screenshot(page, "orders-list")
    page.get_by_label("Order id, case, notice number, IUV, RF, fiscal code or payer name").fill(theirs)
    page.get_by_role("button", name="Search").click()
    assert "No payment order matches" in page.content()
    assert page.goto(f"{live_hub.url}/orders/{theirs}").status == 404
    assert page.goto(f"{live_hub.url}/orders/{mine}").status == 200
    screenshots.screenshot(page, "order-detail")
    api = page.request.get(f"{live_hub.url}/api/v1/orders/{theirs}")
    assert api.status in (401, 404)        # the console's session is no API token: refused either way


def test_searching_payments_keeps_the_filters_in_the_url(live_hub, page):
    _operator(live_hub, "anna", "ROMA-1")
    _log_in(page, live_hub, "anna")
    page.get_by_role("link", name="Payments", exact=True).click()
    page.get_by_label("Amount from").fill("lots")
    page.get_by_role("button", name="Search").click()
    assert "amount_min=lots" in page.url
    assert page.locator("#amount_min-error").is_visible()
    page.get_by_label("Amount from").fill("10")
    page.get_by_role("button", name="Search").click()
    assert "No payment matches" in page.content()
    screenshots.screenshot(page, "payments-list")


def test_a_spreadsheet_with_one_bad_row_is_refused_whole_with_its_line(live_hub, page, tmp_path):
    _operator(live_hub, "anna", "ROMA-1")
    book = Workbook()
    for row in (["case_ref", "payer_name", "amount"], ["C-1", "Ada", 12.5], ["C-2", "Bea", "twelve"]):
        book.active.append(row)
    path = tmp_path / "orders.xlsx"
    book.save(path)
    _log_in(page, live_hub, "anna")
    page.goto(f"{live_hub.url}/orders/import")
    page.get_by_label("CSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    refused = page.locator("#import-refused")
    assert "Nothing was imported" in refused.inner_text()
    assert "3" in refused.locator("tbody td").first.inner_text() and "amount" in refused.inner_text()
    listed = httpx.get(f"{live_hub.url}/api/v1/orders", headers=live_hub.auth).json()
    assert listed == []
