"""Two real `hub serve --role api` processes on one database, as behind a proxy: neither
keeps a state of its own.  A session opened on one is good on the other, login failures
count across both, and a user disabled through one is out on both at once."""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import ExitStack

import pytest

from counterpay.site_process import counterpay_command
from hub.users import service
from tests.hub.config_support import write_config
from tests.hub.web_support import PASSWORD, Visitor
from tests.support.broker import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(120)


def _api_process(config, port: int, log_path) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(counterpay_command("hub", "serve", "--config", str(config), "--role", "api",
                                                   "--port", str(port)),
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _answers(url: str) -> bool:
    try:
        return Visitor(url).get("/login").status_code == 200
    except Exception:
        return False


@pytest.fixture
def two_api_processes(hub_db, tmp_path):
    config = write_config(tmp_path / "etc" / "hub.toml", {
        "hub": {"data_dir": str(tmp_path / "data")},
        "database": {"url": hub_db.url}, "api": {"port": free_port()},
        "web": {"secure_cookies": False, "login_max_failures": 3, "login_window_minutes": 15}})
    with hub_db.begin() as conn:
        service.create(conn, "olga", PASSWORD, "operator", ["riga-1"], "test")
        service.create(conn, "boss", PASSWORD, "admin", None, "test")
    ports = free_port(), free_port()
    with ExitStack() as stack:
        processes = [_api_process(config, port, tmp_path / f"api-{n}.log") for n, port in enumerate(ports)]
        for process in processes:
            stack.callback(_stop, process)
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for n, (url, process) in enumerate(zip(urls, processes, strict=True)):
            wait_until(lambda u=url, p=process: _answers(u) or p.poll() is not None, 60, f"the API process on {url}")
            assert process.poll() is None, (tmp_path / f"api-{n}.log").read_text()
        yield urls


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _on(url: str, visitor: Visitor) -> Visitor:
    """A client of the other process carrying `visitor`'s cookies, as a browser behind a proxy would."""
    other = Visitor(url)
    other.cookies = visitor.cookies
    other.csrf = visitor.csrf
    return other


def test_a_session_opened_on_one_api_process_is_good_on_the_other(two_api_processes):
    first, second = two_api_processes
    olga = Visitor(first)
    assert olga.login("olga").status_code == 303
    assert olga.get("/").status_code == 200
    elsewhere = _on(second, olga)
    page = elsewhere.get("/")
    assert page.status_code == 200 and "olga" in page.text
    # A form posted to the other process passes its CSRF check: the token is the session's row, not memory.
    assert elsewhere.post("/logout", data={"csrf_token": olga.csrf}).status_code == 303
    assert olga.get("/").status_code in (302, 303)          # logged out on the first process too


def test_failed_logins_count_across_both_processes(two_api_processes):
    first, second = two_api_processes
    for url in (first, second, first):                      # 3 failures, the limit, split over both
        assert Visitor(url).login("olga", "wrong password").status_code == 401
    for url in (first, second):
        refused = Visitor(url).login("olga")                # even the right password waits now
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_a_user_disabled_through_one_process_is_out_on_both(two_api_processes):
    first, second = two_api_processes
    olga = Visitor(second)
    assert olga.login("olga").status_code == 303
    olga_first = _on(first, olga)
    assert olga_first.get("/").status_code == 200
    boss = Visitor(first)
    assert boss.login("boss").status_code == 303
    assert boss.post("/users/olga/disable", data={"csrf_token": boss.csrf}).status_code == 303
    assert olga.get("/").status_code in (302, 303)
    assert olga_first.get("/").status_code in (302, 303)
    assert Visitor(second).login("olga").status_code == 403
