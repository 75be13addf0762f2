"""The admin lists (users, API tokens, enrollment tokens, catalogue versions, case systems) page by key
over real HTTP: following the pages' links shows every row once in the sort asked, the links keep the
filters and the sort, and a cursor that is not the list's falls back to its first page, saying so."""

from __future__ import annotations

import html
import re

import pytest

from hub.api.security import create_token, revoke_token
from hub.casesys import registry
from hub.catalogue import service as catalogue
from hub.catalogue.model import Catalogue
from hub.pki import enrollment
from hub.users import service as users
from hub.web import routes_case_systems, routes_catalogue, routes_enrollment, routes_tokens, routes_users

NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
PAGE = 2


@pytest.fixture(autouse=True)
def short_pages(monkeypatch):
    for module in (routes_users, routes_tokens, routes_enrollment, routes_catalogue, routes_case_systems):
        monkeypatch.setattr(module, "PAGE_SIZE", PAGE)


def _walk(client, url: str, row: re.Pattern) -> tuple[list[list[str]], list[str]]:
    """Every page from `url` on by its next links: the rows each page shows, and the links followed."""
    pages, links = [], []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        pages.append(row.findall(answer.text))
        found = NEXT.search(answer.text)
        url = html.unescape(found.group(1)) if found else ""
        links += [url] if url else []
    return pages, links


def test_users_page_by_name_and_by_filters_kept_in_every_link(hub, admin):
    for name, role in [("carla", "operator"), ("ada", "operator"), ("bruno", "auditor"), ("dora", "operator"),
                       ("ezio", "operator")]:
        hub.user(name, role, ["ROMA-1"] if role == "operator" else None)
    with hub.db.begin() as conn:
        users.set_disabled(conn, "ezio", True, "test")
    row = re.compile(r'<tr><td><a href="/users/([a-z]+)">')

    pages, _ = _walk(admin, "/users", row)
    assert pages == [["ada", "boss"], ["bruno", "carla"], ["dora", "ezio"]]
    pages, links = _walk(admin, "/users?role=operator&status=enabled&sort=-username", row)
    assert pages == [["dora", "carla"], ["ada"]]
    assert all("role=operator" in link and "status=enabled" in link and "sort=-username" in link for link in links)


def test_api_tokens_page_newest_first_and_by_status_and_name(hub, admin):
    with hub.db.begin() as conn:
        made = [create_token(conn, name, "auditor", "test")[1] for name in ("delta", "alpha", "charlie", "bravo")]
        revoke_token(conn, made[1], "test")
    row = re.compile(r"<tr><td>(\d+)</td><td>([a-z]+)</td>")

    pages, _ = _walk(admin, "/tokens", row)
    assert [name for page in pages for _, name in page] == ["bravo", "charlie", "alpha", "delta"]
    assert [len(page) for page in pages] == [2, 2]
    pages, links = _walk(admin, "/tokens?status=active&sort=name", row)
    assert [[name for _, name in page] for page in pages] == [["bravo", "charlie"], ["delta"]]
    assert links and all("status=active" in link and "sort=name" in link for link in links)


def test_enrollment_tokens_page_by_office_and_status(hub, admin):
    with hub.db.begin() as conn:
        for office, hours in [("ROMA-1", 1), ("ROMA-1", 5), ("MILANO", 2), ("ROMA-1", 3)]:
            enrollment.create_token(conn, office, "test", hours=hours)
        enrollment.revoke_token(conn, 4, "test")
    row = re.compile(r'<tr><td>(\d+)</td><td><a href="/enrollment-tokens\?office=([A-Z0-9-]+)">')

    pages, links = _walk(admin, "/enrollment-tokens?office=ROMA-1&sort=expires_at", row)
    assert [[token for token, _ in page] for page in pages] == [["1", "4"], ["2"]]
    assert all("office=ROMA-1" in link and "sort=expires_at" in link for link in links)
    pages, _ = _walk(admin, "/enrollment-tokens?status=open", row)
    assert [token for page in pages for token, _ in page] == ["3", "2", "1"]


def test_catalogue_versions_page_newest_first_and_by_status(hub, admin):
    document = Catalogue.model_validate({"price_lists": [{"code": "ID", "name": "Identity", "positions": [
        {"code": "CARD", "name": "Identity card", "unit_price_minor": 1500}]}]})
    with hub.db.begin() as conn:
        for _ in range(3):
            catalogue.add_draft(conn, document, "test")
        catalogue.publish(conn, 2, "test")
    row = re.compile(r'<a href="/catalogue/versions/(\d+)">')

    pages, _ = _walk(admin, "/catalogue", row)
    assert pages == [["3", "2"], ["1"]]
    pages, _ = _walk(admin, "/catalogue?status=draft&sort=version", row)
    assert pages == [["1", "3"]]


def test_case_systems_page_by_priority_and_by_status(hub, admin):
    with hub.db.begin() as conn:
        for name, priority in [("tax", 30), ("fines", 10), ("permits", 20)]:
            registry.create(conn, registry.CaseSystemCreate(name=name, patterns=[{"on": "case_ref", "regex": "^X"}],
                                                            webhook_url="http://127.0.0.1:9/hook", priority=priority,
                                                            internal=True), "test")
        registry.update(conn, "permits", registry.CaseSystemUpdate(enabled=False), "test")
    row = re.compile(r'<tr><td><a href="/case-systems/([a-z]+)">')

    pages, _ = _walk(admin, "/case-systems", row)
    assert pages == [["fines", "permits"], ["tax"]]
    pages, _ = _walk(admin, "/case-systems?status=enabled&sort=-name", row)
    assert pages == [["tax", "fines"]]


def test_a_cursor_not_of_this_list_shows_its_first_page_and_says_so(hub, admin):
    hub.user("ada", "auditor")
    hub.user("cleo", "auditor")
    first = admin.get("/users?sort=-username")
    cursor = html.unescape(NEXT.search(first.text).group(1)).split("cursor=")[1]
    answer = admin.get(f"/users?sort=username&cursor={cursor}")     # made for another sort
    assert answer.status_code == 200
    assert "not one this list gave out" in answer.text
    assert re.findall(r'<tr><td><a href="/users/([a-z]+)">', answer.text) == ["ada", "boss"]
