"""The hub's API served by uvicorn on a free loopback port, talked to over real HTTP.

    hub = LiveHub(context).start()
    hub.client.get("/api/v1/orders", headers=hub.auth(hub.token("operator")))
    hub.stop()

The server runs on a thread of this process, so a test can also reach the hub's
database and store payments through the ingest's own storage path.
"""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from protocol.wire import Envelope
from hub.api.app import create_app
from hub.api.security import create_token
from hub.context import HubContext
from hub.ingest.store import store_batch
from tests.support.broker import free_port


class LiveHub:
    def __init__(self, context: HubContext):
        self.context = context
        self.published: list[tuple[str, bytes, bool]] = []
        context.publisher = lambda topic, payload, retain: self.published.append((topic, payload, retain))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(context.settings, context=context), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="live-hub", daemon=True)
        self.client = httpx.Client(base_url=self.url, timeout=60)
        with context.db.begin() as conn:
            self.admin_token, _ = create_token(conn, "first admin", "admin", "test")

    def start(self) -> "LiveHub":
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the hub's API did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self._thread.join(20)

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.auth(self.admin_token)

    def token(self, role: str, case_system: str | None = None) -> str:
        body = {"name": f"a {role}", "role": role, **({"case_system": case_system} if case_system else {})}
        response = self.client.post("/api/v1/tokens", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def register(self, name: str, regex: str, **extra) -> dict:
        """A case system owning the case references `regex` matches (webhooks go nowhere)."""
        body = {"name": name, "patterns": [{"on": "case_ref", "regex": regex}],
                "webhook_url": "http://127.0.0.1:9/webhook", "internal": True, **extra}
        response = self.client.post("/api/v1/case-systems", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return response.json()

    def store(self, *envelopes: Envelope) -> None:
        with self.context.db.begin() as conn:
            store_batch(conn, [(e, e.encode().decode()) for e in envelopes], [], self.context.event_key)
