"""The console's pages of bench/backoffice.py, each timed two ways against a running hub.

  server time   the page's GET over HTTP with a logged-in session (loopback round trip,
                the hub's queries and the rendering of the HTML)
  browser load  Debian's headless Chromium (/usr/bin/chromium, driven by Playwright; never
                `playwright install`) logged in through /login like a person: Navigation
                Timing's `loadEventEnd - startTime` of the page, styles and scripts included

The same pages as the query figures: payments searches, orders by IUV and by fiscal code,
the dashboard, page 1,000 of the payments list by its cursor.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
from playwright import sync_api

from hub.store.db import Database
from hub.users import service as users
from hub.users.sessions import SESSION_COOKIE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
USERNAME = "bench-admin"
LOAD_TIMING = """() => {
    const n = performance.getEntriesByType("navigation")[0];
    return n.loadEventEnd > 0 ? n.loadEventEnd - n.startTime : null;
}"""


def console_user(db: Database) -> tuple[str, str]:
    """An admin of every office to log in as (made anew each run: its password is not kept)."""
    password = secrets.token_urlsafe(16)
    with db.begin() as conn:
        if users.get(conn, USERNAME) is not None:
            users.reset_password(conn, USERNAME, password, actor="bench")
        else:
            users.create(conn, USERNAME, password, "admin", None, actor="bench")
    return USERNAME, password


def pages(s: dict, cursor: str) -> dict[str, Callable[[int], str]]:
    """Page name → the path of its i-th request (the values vary as in the query figures)."""
    def payments(**query) -> str:
        return "/payments?" + urlencode(query)
    return {
        "payments: office + week": lambda i: payments(office=s["offices"][i], date_from=s["weeks"][i].isoformat(),
                                                      date_to=(s["weeks"][i] + dt.timedelta(days=6)).isoformat()),
        "payments: unlinked cash": lambda i: payments(status="unlinked", tender="cash"),
        "payments: payer fiscal code": lambda i: payments(payer=s["payers"][i]),
        "payments: payer name": lambda i: payments(payer=s["surnames"][i]),
        "orders: q = IUV": lambda i: "/orders?" + urlencode({"q": s["iuvs"][i]}),
        "orders: q = fiscal code": lambda i: "/orders?" + urlencode({"q": s["order_payers"][i]}),
        "dashboard": lambda i: "/",
        "payments page 1,000 by cursor": lambda i: payments(cursor=cursor),
    }


def log_in(page: "sync_api.Page", base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def measure(base_url: str, db: Database, s: dict, cursor: str, repeat: int,
            p95: Callable[[list[float]], float]) -> dict[str, tuple[float, float]]:
    """Page name → (server time p95, browser load p95), in ms."""
    username, password = console_user(db)
    results = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
            page = context.new_page()
            log_in(page, base_url, username, password)
            session = next(c["value"] for c in context.cookies() if c["name"] == SESSION_COOKIE)
            with httpx.Client(base_url=base_url, cookies={SESSION_COOKIE: session}, timeout=60) as client:
                for name, path_of in pages(s, cursor).items():
                    served, loaded = [], []
                    for i in range(repeat):
                        started = time.perf_counter()
                        response = client.get(path_of(i))
                        served.append((time.perf_counter() - started) * 1000)
                        if response.status_code != 200:
                            raise RuntimeError(f"{name}: {path_of(i)} answered {response.status_code}")
                        page.goto(base_url + path_of(i), wait_until="load")
                        page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
                        loaded.append(page.evaluate(LOAD_TIMING))
                    results[name] = (p95(served), p95(loaded))
        finally:
            browser.close()
    return results
