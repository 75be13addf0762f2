"""The citizens' self-service page in Debian's headless Chromium against a real `hub serve`:
a lookup found, a wrong id refused exactly like an unknown notice, the notice and a receipt
downloaded and read back with pdftotext, the throttle, and the page on a phone's screen."""

from __future__ import annotations

import re

from hub.config import load
from hub.store.db import Database
from tests.hub.selfservice_support import FISCAL_CODE, PAYER, pdf_text, seed, without_csrf
from tests.web import screenshots

PHONE = {"width": 390, "height": 844}


def _seeded(live_hub) -> dict:
    db = Database.open(load(live_hub.config).database_url)
    try:
        return seed(db)
    finally:
        db.dispose()


def _look_up(page, url: str, reference: str, payer_id: str) -> None:
    page.goto(f"{url}/self-service")
    page.get_by_label("Notice number, IUV or RF reference").fill(reference)
    page.get_by_label("Your fiscal code or payer id").fill(payer_id)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_load_state()


def test_a_payer_finds_their_notice_and_downloads_it_and_a_receipt(live_hub, web, tmp_path):
    codes = _seeded(live_hub)
    page = web.page
    _look_up(page, live_hub.url, " ".join(re.findall(".{1,4}", codes["notice"])), FISCAL_CODE)
    page.get_by_role("heading", name=re.compile("Notice")).wait_for()
    facts = page.locator("dl.facts").inner_text()
    assert "€125.00" in facts and "Jan 31, 2027" in facts and "Partly paid" in facts
    rows = page.locator("table.payments tbody tr")
    assert rows.count() == 3
    assert "Office counter" in rows.nth(0).inner_text() and "€50.00" in rows.nth(0).inner_text()
    with page.expect_download() as notice:
        page.get_by_role("link", name="Download the notice (PDF)").click()
    assert PAYER in pdf_text(open(notice.value.path(), "rb").read(), tmp_path)
    with page.expect_download() as receipt:
        page.get_by_role("link", name="Receipt R-2026-000117 (PDF)").click()
    text = pdf_text(open(receipt.value.path(), "rb").read(), tmp_path)
    assert "R-2026-000117" in text and PAYER in text and "Ρόδος" in text and "Ģērbšanās" in text
    assert web.outside_requests == []


def test_a_wrong_id_is_refused_exactly_like_an_unknown_notice(live_hub, web):
    codes = _seeded(live_hub)
    page = web.page
    _look_up(page, live_hub.url, codes["notice"], "RSSMRA80A01H501X")
    wrong = without_csrf(page.content())
    _look_up(page, live_hub.url, "301000000000000099", FISCAL_CODE)
    unknown = without_csrf(page.content())
    assert wrong == unknown
    assert "No notice matches this number together with this fiscal code or payer id" in unknown


def test_the_payer_switches_language_and_the_page_fits_a_phone(live_hub, browser):
    codes = _seeded(live_hub)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="lv-LV")
    try:
        page = context.new_page()
        page.goto(f"{live_hub.url}/self-service")
        assert page.locator("h1").inner_text() == "Jūsu maksājuma paziņojums"     # the browser's language
        page.get_by_role("link", name="Italiano").click()
        assert page.locator("h1").inner_text() == "Il tuo avviso di pagamento"
        page.get_by_role("link", name="Latviešu").click()
        page.get_by_label("Paziņojuma numurs, IUV vai RF atsauce").fill(codes["notice"])
        page.get_by_label("Jūsu personas kods vai maksātāja identifikators").fill(FISCAL_CODE)
        page.get_by_role("button", name="Meklēt").click()
        page.get_by_text("Samaksāts daļēji").wait_for()
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        for row in page.locator("table.payments tr").all()[1:]:
            box = row.bounding_box()
            assert box is None or box["x"] + box["width"] <= PHONE["width"]
        screenshots.screenshot(page, "self-service-phone")
    finally:
        context.close()


def test_after_ten_lookups_that_found_nothing_the_next_waits(live_hub, web):
    codes = _seeded(live_hub)
    page = web.page
    for _ in range(10):                                  # [web] selfservice_max_failures, by default
        _look_up(page, live_hub.url, codes["notice"], "GUESS")
    answers = []
    page.on("response", lambda response: answers.append(response))
    _look_up(page, live_hub.url, codes["notice"], FISCAL_CODE)
    posted = [a for a in answers if a.request.method == "POST"][-1]
    assert posted.status == 429 and 0 < int(posted.headers["retry-after"]) <= 900
    assert "Too many lookups that found nothing from this connection" in page.locator("#form-error").inner_text()
