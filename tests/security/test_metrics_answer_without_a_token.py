"""Finding 16, /metrics: it answered anyone, telling how busy each office and case system
is.  Over real HTTP: no token is 401, a role other than metrics, auditor or admin is 403,
a scraper's metrics token reads it; `[api] metrics_access = "loopback"` lets a scraper on
the hub's own machine read it without a token."""

from __future__ import annotations

import dataclasses

import pytest

from tests.security.live_hub import LiveHub


def test_metrics_need_a_token_of_a_reading_role(live_hub):
    assert live_hub.client.get("/metrics").status_code == 401
    assert live_hub.client.get("/metrics", headers={"Authorization": "Bearer cph_wrong"}).status_code == 401
    for role in ("operator", "case-system"):
        extra = {"case_system": live_hub.register("one", r"ONE-.*")["name"]} if role == "case-system" else {}
        token = live_hub.token(role, **extra)
        assert live_hub.client.get("/metrics", headers=live_hub.auth(token)).status_code == 403, role
    for role in ("metrics", "auditor"):
        answer = live_hub.client.get("/metrics", headers=live_hub.auth(live_hub.token(role)))
        assert answer.status_code == 200 and "counterpay_hub_unlinked_payments" in answer.text, role


def test_a_metrics_token_reads_nothing_else(live_hub):
    scraper = live_hub.auth(live_hub.token("metrics"))
    for path in ("/api/v1/payments", "/api/v1/orders", "/api/v1/agents", "/api/v1/audit"):
        assert live_hub.client.get(path, headers=scraper).status_code == 403, path


@pytest.fixture
def loopback_hub(hub_context):
    hub_context.settings = dataclasses.replace(hub_context.settings, metrics_access="loopback")
    hub = LiveHub(hub_context).start()
    yield hub
    hub.stop()


def test_with_loopback_access_a_scraper_on_this_machine_needs_no_token(loopback_hub):
    answer = loopback_hub.client.get("/metrics")
    assert answer.status_code == 200 and "counterpay_hub_agents_known" in answer.text
    assert loopback_hub.client.get("/api/v1/payments").status_code == 401, "only /metrics is opened"
