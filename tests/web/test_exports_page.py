"""The console's Exports page in Chromium: a finance user picks an export, a period and a format, and the
browser downloads the file; a filter the export does not take is refused by the field, in the page."""

from __future__ import annotations

import csv
import io

from hub.store.db import Database
from tests.finance.exports_support import seed
from tests.web import screenshots

PASSWORD = "correct horse battery staple"


def _finance_user(live_hub, page) -> None:
    made = live_hub.cli("user", "create", "--username", "fiona", "--role", "finance", "--password-stdin",
                        input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    page.goto(f"{live_hub.url}/login")
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_hub.url}/")


def _seeded(live_hub) -> None:
    database = Database.open(f"sqlite:///{live_hub.data_dir / 'hub.db'}")
    try:
        with database.begin() as conn:
            seed(conn)
    finally:
        database.dispose()


def test_a_finance_user_downloads_the_payment_lines_as_csv_from_the_exports_page(live_hub, page, tmp_path):
    _seeded(live_hub)
    _finance_user(live_hub, page)
    page.get_by_role("link", name="Exports").click()
    page.wait_for_url(f"{live_hub.url}/exports")
    page.get_by_label("Export", exact=True).select_option("payments")
    page.get_by_label("From").fill("2026-11-01")
    page.get_by_label("To (included)").fill("2026-11-30")
    page.get_by_label("Tender").select_option("cash")
    page.get_by_label("Format").select_option("csv")
    page.evaluate("document.activeElement.blur()")     # the picture without a half-selected date
    screenshots.screenshot(page, "exports")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download").click()
    download = downloading.value
    assert download.suggested_filename == "payments-2026-11-01-2026-11-30.csv"
    saved = tmp_path / "payments.csv"
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"), newline="")))
    assert rows and {r["tender"] for r in rows} == {"cash"}
    assert {r["position_code"] for r in rows} == {"CERT", "STAMP", ""}


def test_a_filter_the_export_does_not_take_is_refused_by_the_field(live_hub, page):
    _finance_user(live_hub, page)
    page.goto(f"{live_hub.url}/exports")
    page.get_by_label("Export", exact=True).select_option("flows")
    page.get_by_label("From").fill("2026-11-01")
    page.get_by_label("To (included)").fill("2026-11-30")
    page.get_by_label("Tender").select_option("card")
    page.get_by_role("button", name="Download").click()
    page.wait_for_url("**/exports/download?**")
    assert page.locator("#tender-error").inner_text() == "This export does not use this filter: leave it empty."
    assert page.get_by_label("Tender").get_attribute("aria-invalid") == "true"
