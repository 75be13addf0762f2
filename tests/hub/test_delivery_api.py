"""The delivery and case-system API: validation, roles, audit, unrouted → routed,
dead letters and replay, and case lookups answered by the real simulator."""

from __future__ import annotations

import random
import time

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.security import create_token
from hub.audit.log import entries
from hub.config import Settings
from hub.context import HubContext
from hub.delivery.clock import FakeClock
from hub.delivery.policy import RetryPolicy
from hub.delivery.worker import DeliveryWorker
from protocol import webhooks
from protocol.keys import SigningKey
from tests.support.broker import free_port
from tests.support.case_system import CaseSystemSim
from tests.support.delivery import drive, enqueue

CASES = """
[[case]]
ref = "VR-2026-7"
amount_owed_minor = 12000
currency = "EUR"
payer = { name = "Giorgos Papadopoulos" }
[[case.positions]]
code = "LIC"
name = "Driving licence"
unit_minor = 12000
"""


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("casesim")
    (workdir / "cases.toml").write_text(CASES)
    process = CaseSystemSim(workdir, cases_path=workdir / "cases.toml").start()
    yield process
    process.stop()


@pytest.fixture
def api(hub_db, tmp_path):
    settings = Settings(database_url=hub_db.url, data_dir=tmp_path)
    context = HubContext(settings=settings, db=hub_db, order_key=SigningKey.generate(),
                         event_key=SigningKey.generate())
    with hub_db.begin() as conn:
        tokens = {role: create_token(conn, role, role, "test")[0] for role in ("admin", "operator", "auditor")}
    client = TestClient(create_app(settings, context=context))
    client.as_ = lambda role: {"Authorization": f"Bearer {tokens[role]}"}
    return client


def _system(sim, name="vr", regex=r"VR-.*", **extra):
    return {"name": name, "patterns": [{"on": "case_ref", "regex": regex}], "webhook_url": sim.webhook_url,
            "lookup_url": sim.lookup_url, "secret": sim.secrets[0], "internal": True, **extra}


def test_registering_needs_admin_and_bad_fields_are_named(api, sim):
    assert api.post("/api/v1/case-systems", json=_system(sim), headers=api.as_("operator")).status_code == 403
    bad = {"name": "Bad Name", "patterns": [{"on": "case_ref", "regex": "("}], "webhook_url": "ftp://x",
           "secret": "plain"}
    response = api.post("/api/v1/case-systems", json=bad, headers=api.as_("admin"))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.name", "body.patterns.0.regex", "body.webhook_url", "body.secret"} <= fields


def test_a_generated_secret_is_shown_once_then_only_its_fingerprint_and_changes_are_audited(api, sim, hub_db):
    spec = _system(sim)
    del spec["secret"]
    created = api.post("/api/v1/case-systems", json=spec, headers=api.as_("admin"))
    assert created.status_code == 201
    secret = created.json()["generated_secret"]
    webhooks.secret_key(secret)
    shown = api.get("/api/v1/case-systems/vr", headers=api.as_("auditor")).json()
    assert "generated_secret" not in shown and shown["secret"].endswith("…") and secret not in str(shown)
    rotated = api.patch("/api/v1/case-systems/vr", json={"rotate_secret": "generate"}, headers=api.as_("admin"))
    assert rotated.json()["previous_secret"] == shown["secret"]
    assert api.post("/api/v1/case-systems", json=spec, headers=api.as_("admin")).status_code == 409
    with hub_db.connect() as conn:
        actions = [e["action"] for e in entries(conn, subject="case_system:vr")]
        everything = str(entries(conn))
    assert actions == ["case_system.update", "case_system.create"]
    assert secret not in everything


def test_an_unrouted_confirmation_is_visible_then_routed_when_a_case_system_matches(api, sim):
    event_id, _ = enqueue(api.app.state.db, "VR-9")
    listed = api.get("/api/v1/deliveries?status=unrouted", headers=api.as_("auditor")).json()
    assert [d["event_id"] for d in listed] == [event_id]
    assert "no case system" in listed[0]["waiting"]
    created = api.post("/api/v1/case-systems", json=_system(sim), headers=api.as_("admin")).json()
    assert created["routed_waiting_confirmations"] == 1
    detail = api.get(f"/api/v1/deliveries/{event_id}", headers=api.as_("operator")).json()
    assert detail["status"] == "pending" and detail["case_system"] == "vr"
    assert detail["payload"]["data"]["event_id"] == event_id


async def test_dead_letters_are_listed_and_replayed_by_time_range(api, sim, hub_db):
    spec = _system(sim, webhook_url=f"http://127.0.0.1:{free_port()}/webhook")   # nothing listens there
    assert api.post("/api/v1/case-systems", json=spec, headers=api.as_("admin")).status_code == 201
    clock = FakeClock()
    event_id, webhook_id = enqueue(hub_db, "VR-10", now=clock.now())
    worker = DeliveryWorker(hub_db, clock=clock, policy=RetryPolicy(give_up_after_s=3 * 3600),
                            signing_time=time.time, rng=random.Random(1))
    await drive(worker, clock, until=clock.now() + 5 * 3600)
    dead = api.get("/api/v1/deliveries/dead-letters", headers=api.as_("auditor")).json()
    assert [d["event_id"] for d in dead] == [event_id]
    detail = api.get(f"/api/v1/deliveries/{event_id}", headers=api.as_("auditor")).json()
    assert len(detail["attempt_log"]) == detail["attempts"] > 3
    assert detail["attempt_log"][-1]["outcome"] == "dead" and "ConnectError" in detail["last_error"]

    assert api.post("/api/v1/deliveries/replay", json={}, headers=api.as_("operator")).status_code == 422
    assert api.post("/api/v1/deliveries/replay", json={"since": "yesterday"},
                    headers=api.as_("operator")).status_code == 422
    assert api.post("/api/v1/deliveries/replay", json={"since": "2000-01-01T00:00:00Z"},
                    headers=api.as_("auditor")).status_code == 403
    api.patch("/api/v1/case-systems/vr", json={"webhook_url": sim.webhook_url}, headers=api.as_("admin"))
    replayed = api.post("/api/v1/deliveries/replay", json={"since": "2000-01-01T00:00:00Z"},
                        headers=api.as_("operator")).json()
    assert replayed["replayed"] == [event_id]
    await drive(worker, clock, until=clock.now() + 3600)
    await worker.aclose()
    assert [r["answered"] for r in sim.received() if r["webhook_id"] == webhook_id] == [204]
    assert api.get("/api/v1/deliveries/dead-letters", headers=api.as_("auditor")).json() == []


def test_case_lookup_found_unknown_unmatched_and_cached(api, sim):
    api.post("/api/v1/case-systems", json=_system(sim), headers=api.as_("admin"))
    found = api.get("/api/v1/cases/VR-2026-7/lookup", headers=api.as_("operator"))
    assert found.status_code == 200
    case = found.json()["case"]
    assert case["amount_owed_minor"] == 12000 and case["payer"]["name"] == "Giorgos Papadopoulos"
    assert case["positions"][0]["code"] == "LIC" and found.json()["cached"] is False
    again = api.get("/api/v1/cases/VR-2026-7/lookup", headers=api.as_("operator")).json()
    assert again["cached"] is True
    unknown = api.get("/api/v1/cases/VR-0000/lookup", headers=api.as_("operator"))
    assert unknown.status_code == 404 and unknown.json()["outcome"] == "unknown_case"
    unmatched = api.get("/api/v1/cases/XX-1/lookup", headers=api.as_("operator"))
    assert unmatched.status_code == 404 and unmatched.json()["outcome"] == "no_case_system"


def test_case_lookup_says_when_the_case_system_is_unreachable(api, sim):
    api.post("/api/v1/case-systems", json=_system(sim, lookup_url=f"http://127.0.0.1:{free_port()}/cases/{{ref}}"),
             headers=api.as_("admin"))
    response = api.get("/api/v1/cases/VR-2026-7/lookup", headers=api.as_("operator"))
    assert response.status_code == 502
    assert response.json()["outcome"] == "unreachable" and "unreachable" in response.json()["detail"]


def test_case_lookup_with_a_wrong_secret_is_refused_by_the_case_system(api, sim):
    api.post("/api/v1/case-systems", json=_system(sim, secret=webhooks.new_secret()), headers=api.as_("admin"))
    response = api.get("/api/v1/cases/VR-2026-7/lookup", headers=api.as_("operator"))
    assert response.status_code == 502 and response.json()["outcome"] == "refused"
