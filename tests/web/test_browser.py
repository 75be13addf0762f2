"""The browser fixtures themselves: Debian's Chromium reaches a real hub over HTTP, carries an API
token, is refused without one, and never reaches outside the loopback."""

from __future__ import annotations

import json

from tests.web import screenshots


def test_the_api_docs_page_opens_in_chromium_without_reaching_outside(live_hub, web):
    response = web.page.goto(f"{live_hub.url}/docs")
    assert response.status == 200
    assert "Swagger UI" in web.page.title()
    # the page's script and style come from a CDN: the context refuses and records them
    assert web.outside_requests and all("127.0.0.1" not in url for url in web.outside_requests)


def test_the_api_answers_the_browser_with_a_token_and_refuses_it_without(live_hub, web):
    refused = web.page.goto(f"{live_hub.url}/api/v1/agents")
    assert refused.status == 401
    web.context.set_extra_http_headers(live_hub.auth)
    answered = web.page.goto(f"{live_hub.url}/api/v1/payments?limit=5")
    assert answered.status == 200
    answer = json.loads(web.page.inner_text("body"))
    assert (answer["total"], answer["payments"], answer["next_cursor"]) == (0, [], None)


def test_every_test_gets_a_fresh_context(browser, web):
    other = browser.new_context()
    try:
        web.context.add_cookies([{"name": "seen", "value": "1", "url": "http://127.0.0.1/"}])
        assert other.cookies() == []
    finally:
        other.close()


def test_screenshots_are_taken_only_when_asked_and_stay_small(live_hub, web, tmp_path, monkeypatch):
    monkeypatch.setattr(screenshots, "SCREENSHOTS", tmp_path / "shots")
    web.page.goto(f"{live_hub.url}/openapi.json")
    monkeypatch.delenv("CP_SCREENSHOTS", raising=False)
    assert screenshots.screenshot(web.page, "openapi") is None
    monkeypatch.setenv("CP_SCREENSHOTS", "1")
    path = screenshots.screenshot(web.page, "openapi")
    assert path == tmp_path / "shots" / "openapi.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size < 500_000
