"""Finding 13: webhook and lookup URLs on loopback, link-local, private ranges and 0.0.0.0
were accepted and called; a case system's 500 body (`db_password=…`) was shown to
auditors; a reference `..` turned `/cases/{ref}/summary` into `/summary`.

Over real HTTP, against a real HTTP server standing in for the case system (it records
every request it gets): internal targets are refused unless the case system is
registered as internal, also when a name starts resolving to 127.0.0.1 after it was
registered; error bodies are kept as a status and a masked excerpt; references are one
path segment and `.`/`..` are refused."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.delivery.worker import DeliveryWorker
from tests.support.delivery import enqueue

INTERNAL_URLS = ["http://127.0.0.1:8080/webhook", "http://localhost:8080/webhook",
                 "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/webhook",
                 "http://192.168.1.10/webhook", "http://172.16.0.1/webhook", "http://0.0.0.0:8080/webhook",
                 "http://[::1]:8080/webhook", "http://[::ffff:127.0.0.1]/webhook", "http://2130706433/webhook"]
PUBLIC_ADDRESS = "93.184.215.14"        # globally routable; the test never connects to it
SECRET_BODY = "Internal error: db_password=hunter2 token=cph_live_0123456789abcdef0123456789 at db1:5432"


class CaseSystemServer:
    """A case system on loopback that records what it is asked and answers as told."""

    def __init__(self, status: int = 200, body: str = "{}"):
        self.requests: list[str] = []
        self.status, self.body = status, body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.requests.append(self.path)
                self.rfile.read(int(self.headers.get("content-length") or 0))
                payload = outer.body.encode()
                self.send_response(outer.status)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def case_server():
    server = CaseSystemServer()
    yield server
    server.close()


def _register(hub, name: str, webhook_url: str, **extra):
    body = {"name": name, "patterns": [{"on": "case_ref", "regex": extra.pop("regex", r"C-\d+")}],
            "webhook_url": webhook_url, **extra}
    return hub.client.post("/api/v1/case-systems", json=body, headers=hub.admin)


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_webhook_and_lookup_urls_are_refused_unless_marked_internal(live_hub, url):
    webhook = _register(live_hub, "cs", url)
    assert webhook.status_code == 422, webhook.text
    assert "internal" in webhook.json()["detail"]
    lookup = _register(live_hub, "cs", "https://cs.example.org/webhook", lookup_url=url + "/{ref}")
    assert lookup.status_code == 422, lookup.text
    marked = _register(live_hub, "cs", url, lookup_url=url + "/{ref}", internal=True)
    assert marked.status_code == 201, marked.text
    assert marked.json()["internal"] is True
    audit = live_hub.client.get("/api/v1/audit", params={"subject": "case_system:cs"}, headers=live_hub.admin)
    assert audit.json()[0]["details"]["internal"] is True


def test_a_case_system_cannot_be_pointed_inside_or_unmarked_later(live_hub, case_server):
    inside = f"http://127.0.0.1:{case_server.port}/webhook"
    assert _register(live_hub, "lan", inside, internal=True).status_code == 201
    unmark = live_hub.client.patch("/api/v1/case-systems/lan", json={"internal": False}, headers=live_hub.admin)
    assert unmark.status_code == 422, "its URL is internal: it cannot lose the mark while pointing there"
    assert _register(live_hub, "outside", "https://cs.example.org/webhook").status_code == 201
    moved = live_hub.client.patch("/api/v1/case-systems/outside", json={"webhook_url": inside},
                                  headers=live_hub.admin)
    assert moved.status_code == 422
    assert case_server.requests == []


@pytest.fixture
def rebinding_dns(monkeypatch):
    """`cs-rebind.test` resolves to a public address until `flip()`, then to 127.0.0.1:
    DNS rebinding, played by this process's resolver (the hub's API and worker run here)."""
    real = socket.getaddrinfo
    answer = {"address": PUBLIC_ADDRESS}

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "cs-rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["address"], port or 80))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lambda: answer.update(address="127.0.0.1")


async def test_a_webhook_host_that_starts_resolving_to_loopback_is_not_called(live_hub, case_server, rebinding_dns):
    url = f"http://cs-rebind.test:{case_server.port}/webhook"
    assert _register(live_hub, "rebind", url).status_code == 201, "a public address is accepted"
    rebinding_dns()
    event_id, _ = enqueue(live_hub.context.db, "C-1")
    worker = DeliveryWorker(live_hub.context.db)
    try:
        await worker.run_once()
    finally:
        await worker.aclose()
    assert case_server.requests == [], "the hub called an address that resolves to loopback"
    auditor = live_hub.auth(live_hub.token("auditor"))
    delivery = live_hub.client.get(f"/api/v1/deliveries/{event_id}", headers=auditor).json()
    assert delivery["status"] == "pending" and "127.0.0.1" in delivery["last_error"], delivery["last_error"]


def test_a_lookup_host_that_starts_resolving_to_loopback_is_not_called(live_hub, case_server, rebinding_dns):
    created = _register(live_hub, "rebind", "https://cs.example.org/webhook",
                        lookup_url=f"http://cs-rebind.test:{case_server.port}/cases/{{ref}}")
    assert created.status_code == 201
    rebinding_dns()
    operator = live_hub.auth(live_hub.token("operator"))
    answer = live_hub.client.get("/api/v1/cases/C-1/lookup", headers=operator)
    assert answer.status_code == 502 and "internal" in answer.json()["detail"]
    assert case_server.requests == []


async def test_an_error_body_with_secrets_is_kept_as_status_and_masked_excerpt(live_hub):
    server = CaseSystemServer(status=500, body=SECRET_BODY + " " + "x" * 1000)
    try:
        assert _register(live_hub, "leaky", f"http://127.0.0.1:{server.port}/webhook", internal=True) \
            .status_code == 201
        event_id, _ = enqueue(live_hub.context.db, "C-7")
        worker = DeliveryWorker(live_hub.context.db)
        try:
            await worker.run_once()
        finally:
            await worker.aclose()
        assert len(server.requests) == 1
    finally:
        server.close()
    auditor = live_hub.auth(live_hub.token("auditor"))
    delivery = live_hub.client.get(f"/api/v1/deliveries/{event_id}", headers=auditor).json()
    shown = json.dumps(delivery)
    assert delivery["last_status"] == 500
    assert delivery["last_error"].startswith("HTTP 500 Internal Server Error: Internal error: db_password=***")
    assert "hunter2" not in shown and "cph_live" not in shown
    assert len(delivery["last_error"]) <= 240


@pytest.mark.parametrize("ref", ["..", "."])
def test_dot_segments_are_refused_as_references(live_hub, case_server, ref):
    found = json.dumps({"ref": "x", "amount_owed_minor": 100, "currency": "EUR", "positions": []})
    case_server.body = found
    assert _register(live_hub, "cases", f"http://127.0.0.1:{case_server.port}/webhook", regex=".*",
                     lookup_url=f"http://127.0.0.1:{case_server.port}/cases/{{ref}}/summary",
                     internal=True).status_code == 201
    operator = live_hub.auth(live_hub.token("operator"))
    encoded = ref.replace(".", "%2E")          # sent encoded: httpx would resolve a literal '..' itself
    answer = live_hub.client.get(f"/api/v1/cases/{encoded}/lookup", headers=operator)
    assert answer.status_code == 422, answer.text
    assert case_server.requests == []
    tricky = live_hub.client.get("/api/v1/cases/..%3Fadmin%23x/lookup", headers=operator)
    assert tricky.status_code == 200, tricky.text
    assert case_server.requests == ["/cases/..%3Fadmin%23x/summary"], "the reference stays one path segment"
