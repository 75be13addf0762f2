"""The reconciliation pages in Debian's headless Chromium against a real `hub serve`: the lists by
status with their filters and pages in the URL, resolving an anomaly with a note, and the upload
form showing a refused file with where and why."""

from __future__ import annotations


from hub.config import load
from hub.finance.reconcile import matching
from hub.store.db import Database
from tests.finance.reconcile_support import (add_order, flow, flow_payment, import_flow, import_statement, line,
                                             statement)
from tests.finance.test_reconcile_cli import CAMT_XML
from tests.web.test_order_and_link_pages import _log_in

FLOW_ID = "2026-11-20SELBIT2B-S000000099"
IUV1 = "05000000000000001"


def _populate(live_hub) -> None:
    db = Database.open(load(live_hub.config).database_url)
    try:
        with db.begin() as conn:
            add_order(conn, "CP1", iuv=IUV1)
            truncated = [line(n, 100 + n, f"/PUR/LGPE-RIVERSAMENTO/URI/{n % 9}") for n in range(1, 56)]
            import_statement(conn, statement(*truncated, line(56, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_ID}")))
            import_flow(conn, flow(FLOW_ID, flow_payment(1, IUV1, 1600)))
            matching.run(conn)
    finally:
        db.dispose()


def test_anomalies_are_listed_a_page_at_a_time_and_one_is_resolved_with_a_note(live_hub, web):
    _populate(live_hub)
    page = web.page
    _log_in(page, live_hub)
    page.get_by_role("link", name="Reconciliation").click()
    page.locator("#list-lines").wait_for()
    assert page.locator(".count-anomaly").first.inner_text() == "Anomaly 55"
    page.get_by_label("Status", exact=True).select_option("anomaly")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**status=anomaly**")
    rows = page.locator("#reconcile-items tbody tr")
    assert rows.count() == 50
    assert rows.first.locator("td").nth(2).inner_text() == "Truncated flow id"
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**cursor=**")
    assert rows.count() == 5 and "status=anomaly" in page.url
    last_id = rows.last.get_attribute("id").removeprefix("item-")
    page.locator(f"#resolve-{last_id}").click()
    page.get_by_label("Why it is settled").fill("the bank cut the id; flow booked by hand")
    page.get_by_role("button", name="Resolve the anomaly").click()
    page.locator("#reconcile-notice").get_by_text(f"Anomaly {last_id} is resolved").wait_for()
    assert page.locator(".count-anomaly").first.inner_text() == "Anomaly 54"
    page.get_by_role("link", name="Flow payments").click()
    page.get_by_label("Flow id, IUV or RF").fill(IUV1)
    page.get_by_label("Status", exact=True).select_option("")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**reference={IUV1}**")
    assert rows.count() == 1 and "Pays its payment order" in rows.first.inner_text()
    assert web.outside_requests == []


def test_a_refused_file_is_shown_with_where_and_why(live_hub, web, tmp_path):
    page = web.page
    _log_in(page, live_hub)
    page.goto(f"{live_hub.url}/reconciliation")
    broken = tmp_path / "broken.xml"
    broken.write_text(CAMT_XML.replace("16.00", "sedici"), encoding="utf-8")
    page.get_by_label("Statement or reporting flow").set_input_files(str(broken))
    page.get_by_role("button", name="Import", exact=True).click()
    refused = page.locator("#import-refused")
    refused.wait_for()
    assert "Where:" in refused.inner_text() and "Why:" in refused.inner_text()
