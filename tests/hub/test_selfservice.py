"""The citizens' self-service page over real HTTP, on SQLite and PostgreSQL: a lookup that
matches, a wrong id answered exactly like an unknown notice, downloads only through signed
links, the throttle's counters in the database, CSRF, languages, and nothing typed in the log."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from hub.selfservice import links
from hub.selfservice import throttle
from hub.store.tables import audit_log
from tests.hub.selfservice_support import FISCAL_CODE, PAYER, pdf_text, seed, without_csrf
from tests.hub.web_support import console

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r'href="(/self-service/download/[^"]+)"')


@pytest.fixture
def hub(hub_db, tmp_path):
    with console(tmp_path, database_url=hub_db.url, orders={"creditor_fiscal_code": "00311260095"},
                 selfservice_max_failures=4) as running:
        running.codes = seed(running.db)
        yield running


def ask(visitor, reference: str, payer_id: str, **extra):
    language = extra.pop("lang", "en")
    form = visitor.get("/self-service", params={"lang": language})
    return visitor.post("/self-service", data={"reference": reference, "payer_id": payer_id, "lang": language,
                                               "csrf_token": CSRF.search(form.text).group(1), **extra})


def test_a_matching_lookup_shows_amount_due_date_status_and_every_payment(hub):
    visitor = hub.client()
    spaced = " ".join(re.findall(".{1,4}", hub.codes["notice"]))          # as printed: groups of four
    found = ask(visitor, spaced, FISCAL_CODE.lower())
    assert found.status_code == 200, found.text
    page = found.text
    assert "€125.00" in page and "Jan 31, 2027" in page and "Partly paid" in page
    assert "€75.00" in page                                               # paid so far: the voided one left out
    assert "Nov 3, 2026" in page and "Office counter" in page and "€50.00" in page
    assert "pagoPA" in page and "€25.00" in page and "voided" in page
    assert "R-OTHER" not in page                                          # another order's payment
    assert found.headers["cache-control"] == "no-store"
    by_iuv = ask(hub.client(), hub.codes["iuv"], FISCAL_CODE)
    assert by_iuv.status_code == 200 and "Partly paid" in by_iuv.text


def test_a_cancelled_order_says_so(hub):
    found = ask(hub.client(), "RF18 5390 0754 7034", "pl-77")
    assert found.status_code == 200 and "Cancelled" in found.text


def test_a_wrong_id_is_answered_byte_for_byte_like_an_unknown_notice(hub):
    visitor = hub.client()
    wrong_id = ask(visitor, hub.codes["notice"], "RSSMRA80A01H501X")
    unknown = ask(visitor, "301000000000000099", FISCAL_CODE)
    no_payer_order = ask(visitor, "RF18539007547034", FISCAL_CODE)       # a real order, someone else's id
    assert wrong_id.status_code == unknown.status_code == no_payer_order.status_code == 404
    assert without_csrf(wrong_id.text) == without_csrf(unknown.text) == without_csrf(no_payer_order.text)
    assert "No notice matches this number together with this fiscal code" in unknown.text
    assert hub.codes["notice"] not in wrong_id.text and "RSSMRA" not in wrong_id.text
    assert dict(wrong_id.headers) .keys() == dict(unknown.headers).keys()


def test_the_notice_and_each_receipt_download_as_pdf_through_the_pages_links(hub, tmp_path):
    visitor = hub.client()
    page = ask(visitor, hub.codes["notice"], FISCAL_CODE, lang="lv").text
    found = LINK.findall(page)
    assert len(found) == 3                                                # notice, two receipts (not the voided)
    notice = visitor.get(found[0])
    assert notice.status_code == 200 and notice.headers["content-type"] == "application/pdf"
    text = pdf_text(notice.content, tmp_path)
    assert PAYER in text and FISCAL_CODE in text and "pagoPA" in text
    receipt = visitor.get(found[1])
    assert receipt.headers["content-disposition"] == 'attachment; filename="receipt-R-2026-000117.pdf"'
    text = pdf_text(receipt.content, tmp_path)
    assert "Maksājuma kvīts" in text and "R-2026-000117" in text and PAYER in text
    assert "************4242" in text and "A1B2C3" in text and "Ģērbšanās" in text and "Ρόδος" in text
    assert "50,00 €" in text and "Iestādes kase" in text


def test_downloads_are_not_reachable_by_guessing_or_altering_a_link(hub):
    visitor = hub.client()
    key = links.link_key(hub.context.order_key)
    real = LINK.findall(ask(visitor, hub.codes["notice"], FISCAL_CODE).text)[0]
    token = real.rsplit("/", 1)[1]
    body, signature = token.split(".")
    other_payment = links.make(b"\0" * 32, "CPSELF000001", "receipt:4", "en")          # not the hub's key
    bound_elsewhere = links.make(key, "CPSELF000001", "receipt:4", "en")               # order 2's payment
    expired = links.make(key, "CPSELF000001", "notice", "en", now=0)
    for path in ("/self-service/download/CPSELF000001", f"/self-service/download/{body}.{signature[::-1]}",
                 f"/self-service/download/{other_payment}", f"/self-service/download/{bound_elsewhere}",
                 f"/self-service/download/{expired}", "/self-service/download/" + "A" * 2100):
        answer = visitor.get(path)
        assert answer.status_code == 404, path
        assert "not valid or has expired" in answer.text
    assert visitor.get(real).status_code == 200


def test_too_many_lookups_that_find_nothing_are_throttled_with_retry_after(hub):
    visitor = hub.client()
    for _ in range(4):
        assert ask(visitor, hub.codes["notice"], "WRONG").status_code == 404
    refused = ask(visitor, hub.codes["notice"], FISCAL_CODE)              # even the right pair waits now
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many lookups that found nothing from this connection. Try again in 1" in refused.text
    with hub.db.connect() as conn:
        assert throttle.failures(conn, "127.0.0.1") == 4                  # the refused try is not counted


def test_a_post_without_the_forms_token_is_refused(hub):
    visitor = hub.client()
    answer = visitor.post("/self-service", data={"reference": hub.codes["notice"], "payer_id": FISCAL_CODE,
                                                 "csrf_token": "forged"})
    assert answer.status_code == 403 and "The form had expired" in answer.text
    assert "Partly paid" not in answer.text


def test_missing_or_overlong_fields_are_named(hub):
    visitor = hub.client()
    empty = ask(visitor, "  ", "")
    assert empty.status_code == 422
    assert "Type the notice number" in empty.text and "Type your fiscal code" in empty.text
    assert "at most" in ask(visitor, "9" * 65, FISCAL_CODE).text
    with hub.db.connect() as conn:
        assert throttle.failures(conn, "127.0.0.1") == 0


def test_the_language_is_the_browsers_and_the_payer_may_switch(hub):
    visitor = hub.client()
    assert "Il tuo avviso di pagamento" in visitor.get("/self-service", headers={"Accept-Language": "it-IT,it"}).text
    greek = visitor.get("/self-service", params={"lang": "el"}, headers={"Accept-Language": "it"})
    assert 'lang="el"' in greek.text and "Η ειδοποίηση πληρωμής σας" in greek.text
    for code in ("en", "it", "pl", "el", "lv"):
        assert f'href="/self-service?lang={code}"' in greek.text
    polish = ask(visitor, hub.codes["notice"], FISCAL_CODE, lang="pl")
    assert "Opłacone częściowo" in polish.text


def test_lookups_are_logged_and_audited_without_the_fiscal_code(hub, caplog):
    caplog.set_level(logging.INFO, logger="hub.web.routes_selfservice")
    ask(hub.client(), hub.codes["notice"], FISCAL_CODE)
    ask(hub.client(), hub.codes["notice"], "RSSMRA80A01H501X")
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.web.routes_selfservice"]
    assert len(lines) == 2 and "order CPSELF000001" in lines[0] and "no match" in lines[1]
    assert not any(FISCAL_CODE in line or "RSSMRA" in line or hub.codes["notice"] in line for line in lines)
    with hub.db.connect() as conn:
        audited = conn.execute(select(audit_log).where(audit_log.c.action == "selfservice.lookup")).mappings().all()
    assert [row["subject"] for row in audited] == ["order:CPSELF000001"]
    assert FISCAL_CODE not in str(dict(audited[0]))
