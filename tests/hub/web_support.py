"""The hub `serve` runs, on a free loopback port, and a browser-like HTTP client of its console."""

from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager

import httpx

from hub import serve
from hub.config import Settings
from hub.users import service
from tests.hub.config_support import settings_for
from tests.support import hub_databases
from tests.support.broker import free_port

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Console:
    """A running hub (its database at `.db`) and a factory of clients."""

    def __init__(self, settings: Settings, context):
        self.settings, self.context, self.db = settings, context, context.db
        self.url = f"http://127.0.0.1:{settings.api_port}"

    def user(self, username: str, role: str, offices=None, password: str = PASSWORD):
        with self.db.begin() as conn:
            return service.create(conn, username, password, role, offices, "test")

    def client(self) -> "Visitor":
        return Visitor(self.url)


class Visitor(httpx.Client):
    def __init__(self, url: str):
        super().__init__(base_url=url, follow_redirects=False, timeout=10)
        self.csrf = ""

    def login(self, username: str, password: str = PASSWORD, **extra) -> httpx.Response:
        form = self.get("/login")
        token = CSRF.search(form.text).group(1)
        response = self.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                             **extra})
        if response.status_code == 303:
            self.csrf = CSRF.search(self.get("/").text).group(1)
        return response


@contextmanager
def console(tmp_path, smtp: dict | None = None, *, database_url: str | None = None, orders: dict | None = None,
            **web) -> Console:
    """The console on a fresh SQLite file, or on the migrated database at `database_url` (a
    `hub_db` fixture's, to run on PostgreSQL too); `orders` is the [orders] section."""
    sections: dict = {"smtp": smtp} if smtp else {}
    if orders:
        sections["orders"] = orders
    if database_url:
        sections["database"] = {"url": database_url}
    else:
        hub_databases.migrated_sqlite_file(tmp_path / "hub.db")
    settings = settings_for(tmp_path, api={"port": free_port()}, web={"secure_cookies": False, **web}, **sections)
    context = serve.context_from_settings(settings)
    server = serve.build_server(settings, context)
    thread = threading.Thread(target=server.run, name="test-console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert server.started, "uvicorn did not start"
        yield Console(settings, context)
    finally:
        server.should_exit = True
        thread.join(10)
        context.db.dispose()
