"""Helpers for API tests: an app on the test database, tokens, and payments stored
through the ingest's own storage path (no broker needed for API behaviour)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from protocol.wire import Envelope
from hub.api.app import create_app
from hub.api.security import create_token
from hub.context import HubContext
from hub.ingest.store import store_batch


class Api:
    def __init__(self, context: HubContext):
        self.context = context
        self.published: list[tuple[str, bytes, bool]] = []
        context.publisher = lambda topic, payload, retain: self.published.append((topic, payload, retain))
        self.client = TestClient(create_app(context.settings, context=context))
        with context.db.begin() as conn:
            self.admin_token, _ = create_token(conn, "first admin", "admin", "test")

    def token(self, role: str) -> str:
        response = self.client.post("/api/v1/tokens", json={"name": f"a {role}", "role": role},
                                    headers=self.auth(self.admin_token))
        assert response.status_code == 201, response.text
        return response.json()["token"]

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def store(self, *envelopes: Envelope) -> None:
        with self.context.db.begin() as conn:
            store_batch(conn, [(e, e.encode().decode()) for e in envelopes], [], self.context.event_key)
