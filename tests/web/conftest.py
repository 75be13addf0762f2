"""Browser fixtures: Debian's headless Chromium driven by Playwright, and a real hub to point it at.

The browser is the system's /usr/bin/chromium (`./quickstart.sh test` installs it): Playwright's
own browser download cannot work on an office network or in CI, so it is never used.  One browser
per test process (xdist worker); every test gets a fresh context (its own cookies and storage) in
which any request that leaves the loopback is refused and recorded, so a page that needs a CDN
shows up in `outside_requests` instead of hanging the test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright import sync_api

from tests.support.broker import free_port, wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
COUNTERPAY = [sys.executable, "-m", "counterpay"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def browser() -> Iterator["sync_api.Browser"]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run ./quickstart.sh test, which installs Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserContext:
    """A fresh browser context and its first page; `outside_requests` lists what was refused."""
    context: "sync_api.BrowserContext"
    page: "sync_api.Page"
    outside_requests: list[str] = field(default_factory=list)


@pytest.fixture
def web(browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Rome")
    context.set_default_timeout(15_000)
    opened = BrowserContext(context, context.new_page())

    def refuse_outside(route) -> None:
        opened.outside_requests.append(route.request.url)
        route.abort("blockedbyclient")
    context.route(lambda url: urlsplit(url).hostname not in LOOPBACK and not url.startswith(("data:", "about:")),
                  refuse_outside)
    yield opened
    context.close()


@pytest.fixture
def page(web) -> "sync_api.Page":
    return web.page


@dataclass
class LiveHub:
    """A `counterpay hub serve` process (API and console; no MQTT ingest, no webhook worker)."""
    url: str
    config: Path
    data_dir: Path
    token: str                       # the first admin's API token, printed by `hub init`
    log: Path
    admin: tuple[str, str] = ("", "")   # the first admin's console login (username, password), printed too

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """Run `counterpay hub ARGS... --config <this hub's config>`, e.g. to create users."""
        return subprocess.run([*COUNTERPAY, "hub", *args, "--config", str(self.config)], input=input,
                              capture_output=True, text=True, timeout=60)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class InitialisedHub:
    """What one `counterpay hub init` made and printed, kept to be copied for each test."""
    directory: Path
    token: str
    admin: tuple[str, str]


@pytest.fixture(scope="session")
def initialised_hub(tmp_path_factory) -> InitialisedHub:
    # `hub init` makes a CA, keys, a database and an admin with an Argon2 hash: seconds of
    # work that every test would repeat for the same result.  Each test gets a copy instead,
    # so each still starts from a hub nobody has touched.
    hub_dir = tmp_path_factory.mktemp("initialised") / "hub"
    init = subprocess.run([*COUNTERPAY, "hub", "init", "--dir", str(hub_dir)], capture_output=True, text=True,
                          timeout=60)
    assert init.returncode == 0, init.stderr
    token = re.search(r"token \(shown only now.*\): (\S+)", init.stdout).group(1)
    admin = (re.search(r"^\s+username: (\S+)$", init.stdout, re.M).group(1),
             re.search(r"^\s+password: (\S+)$", init.stdout, re.M).group(1))
    return InitialisedHub(hub_dir, token, admin)


def copy_of(initialised: InitialisedHub, hub_dir: Path) -> None:
    """A copy of the initialised hub in hub_dir, its configuration pointing at the copy."""
    shutil.copytree(initialised.directory, hub_dir, ignore=shutil.ignore_patterns("*.writelock"))
    config = hub_dir / "hub.toml"
    config.write_text(config.read_text().replace(str(initialised.directory), str(hub_dir)))


@pytest.fixture
def live_hub(tmp_path, initialised_hub) -> Iterator[LiveHub]:
    """A fresh hub on a free loopback port, its SQLite database in tmp_path."""
    hub_dir = tmp_path / "hub"
    copy_of(initialised_hub, hub_dir)
    token, admin = initialised_hub.token, initialised_hub.admin
    port = free_port()
    config = hub_dir / "hub.toml"
    config.write_text(re.sub(r"(?m)^port = 8080$", f"port = {port}", config.read_text()))
    log = tmp_path / "hub-serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([*COUNTERPAY, "hub", "serve", "--config", str(config), "--no-ingest",
                                   "--no-delivery"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_for_port(port, 30)
        except AssertionError:
            raise AssertionError(f"the hub did not start; its log:\n{log.read_text()}") from None
        yield LiveHub(url=f"http://127.0.0.1:{port}", config=config, data_dir=hub_dir, token=token, log=log,
                      admin=admin)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
