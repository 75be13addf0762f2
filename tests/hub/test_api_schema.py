"""The API's contract with integrators: every route documents what it answers, the
answers fit those schemas exactly, and refusals get their status by their kind."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.ids import rf
from hub.api.app import create_app
from hub.config import Settings
from hub.errors import Conflict, HubError, InvalidInput, NotFound
from hub.ingest.presence import apply_state
from tests.hub.agents import FakeAgent
from tests.hub.api_support import Api
from tests.hub.test_api import CATALOGUE


@pytest.fixture
def api(hub_context):
    return Api(hub_context)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return components[ref.rsplit("/", 1)[-1]] if ref else schema


def _is_typed(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A schema that says what is in the answer: named fields, or a list of such, or bytes/text."""
    schema = _resolve(schema, components)
    if schema.get("type") == "array":
        return _is_typed(schema.get("items", {}), components)
    if schema.get("type") == "object" or "additionalProperties" in schema:
        return bool(schema.get("properties"))
    return schema.get("type") == "string"


def test_every_api_route_documents_a_typed_answer(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'hub.db'}", data_dir=tmp_path))
    openapi = app.openapi()
    components = openapi["components"]["schemas"]
    untyped, checked = [], 0
    for path, operations in openapi["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            checked += 1
            answers = [answer for status, answer in operation["responses"].items() if status.startswith("2")]
            schemas = [media.get("schema", {}) for answer in answers for media in answer.get("content", {}).values()]
            if not schemas or not all(_is_typed(schema, components) for schema in schemas):
                untyped.append(f"{method.upper()} {path}")
    assert checked >= 38
    assert untyped == [], f"routes without a response model: {untyped}"


def test_a_bare_dict_answer_counts_as_untyped():
    # The check above must be able to fail: FastAPI documents `-> dict` as an open object.
    assert not _is_typed({"type": "object", "additionalProperties": True}, {})
    assert not _is_typed({"type": "array", "items": {"type": "object", "additionalProperties": True}}, {})
    assert not _is_typed({}, {})


def test_refusals_are_answered_by_their_kind_not_their_message(api):
    def refuse(error: HubError):
        def route():
            raise error
        return route

    # Messages that read like another kind: the status still follows the type.
    api.client.app.add_api_route("/test/conflict", refuse(Conflict("catalogue version 7 does not exist")))
    api.client.app.add_api_route("/test/missing", refuse(NotFound("already published")))
    api.client.app.add_api_route("/test/invalid", refuse(InvalidInput("no such thing")))
    assert api.client.get("/test/conflict").status_code == 409
    assert api.client.get("/test/missing").status_code == 404
    invalid = api.client.get("/test/invalid")
    assert (invalid.status_code, invalid.json()) == (422, {"detail": "no such thing"})


def test_catalogue_refusals_keep_their_status_and_body(api):
    operator = api.auth(api.token("operator"))
    first = api.client.post("/api/v1/catalogue/versions", json=CATALOGUE, headers=operator).json()["version"]
    second = api.client.post("/api/v1/catalogue/versions", json=CATALOGUE, headers=operator).json()["version"]
    api.client.post(f"/api/v1/catalogue/versions/{first}/publish", headers=operator)
    api.client.post(f"/api/v1/catalogue/versions/{second}/publish", headers=operator)
    superseded = api.client.post(f"/api/v1/catalogue/versions/{first}/publish", headers=operator)
    assert superseded.status_code == 409 and "superseded" in superseded.json()["detail"]
    missing = api.client.post("/api/v1/catalogue/versions/99/publish", headers=operator)
    assert (missing.status_code, missing.json()) == (404, {"detail": "catalogue version 99 does not exist"})
    nothing = api.client.patch("/api/v1/case-systems/none", json={"priority": 5}, headers=api.auth(api.admin_token))
    assert nothing.status_code == 404


def _populate(api: Api) -> dict[str, Any]:
    """One of everything the API shows: agent, payments, order, catalogue, case system, tokens."""
    admin, operator = api.auth(api.admin_token), api.auth(api.token("operator"))
    agent = FakeAgent("desk-9")
    order = api.client.post("/api/v1/orders", json={"amount_minor": 900, "case_ref": "VR-1", "positions": [],
                                                    "payer": {"name": "Anna"}}, headers=operator).json()
    api.store(agent.payment(900, reference={"format": "rf", "value": rf.format(order["reference"])}),
              agent.payment(300, reference={"format": "rf", "value": "RF18539007547034"}))
    with api.context.db.begin() as conn:   # the ingest applies births only to agents it has stored events of
        apply_state(conn, agent.birth(1, outbox_depth=2), "2026-11-22T10:00:00.000Z")
    version = api.client.post("/api/v1/catalogue/versions", json=CATALOGUE, headers=operator).json()["version"]
    api.client.post(f"/api/v1/catalogue/versions/{version}/publish", headers=operator)
    created = api.client.post("/api/v1/case-systems", headers=admin, json={
        "name": "vr", "patterns": [{"on": "case_ref", "regex": "VR-.*"}], "webhook_url": "http://127.0.0.1:9/hook",
        "internal": True})
    assert created.status_code == 201, created.text
    assert "generated_secret" in created.json()
    api.client.post("/api/v1/enrollment-tokens", json={"office": "riga-1"}, headers=operator)
    unlinked = api.client.get("/api/v1/payments/unlinked", headers=operator).json()["payments"][0]["id"]
    linked = api.client.post(f"/api/v1/payments/{unlinked}/link", json={"case_ref": "VR-2"}, headers=operator)
    assert linked.status_code == 200, linked.text
    return {"order_id": order["order_id"], "version": version, "payment": unlinked, "event_id": "desk-9-m1"}


def test_every_answer_fits_its_schema_on_sqlite_and_postgresql(api):
    # The models forbid undeclared fields, so a 200 here means the answer is exactly its schema.
    made = _populate(api)
    admin = api.auth(api.admin_token)
    paths = ["/api/v1/agents", "/api/v1/agents/desk-9", "/api/v1/audit", "/api/v1/audit/verify",
             "/api/v1/cases/VR-1/payments", "/api/v1/catalogue", "/api/v1/catalogue/versions",
             f"/api/v1/catalogue/versions/{made['version']}", "/api/v1/orders", f"/api/v1/orders/{made['order_id']}",
             "/api/v1/payments", "/api/v1/payments/unlinked", f"/api/v1/payments/{made['payment']}",
             "/api/v1/tokens", "/api/v1/deliveries", "/api/v1/deliveries/dead-letters",
             f"/api/v1/deliveries/{made['event_id']}", "/api/v1/case-systems", "/api/v1/case-systems/vr",
             "/api/v1/enrollment-tokens", "/api/v1/keys"]
    answers = {path: api.client.get(path, headers=admin) for path in paths}
    assert {path: r.status_code for path, r in answers.items() if r.status_code != 200} == {}
    assert answers["/api/v1/agents/desk-9"].json()["outbox_depth"] == 2
    assert answers[f"/api/v1/orders/{made['order_id']}"].json()["status"] == "paid"
    assert answers[f"/api/v1/deliveries/{made['event_id']}"].json()["attempt_log"] == []
    assert answers["/api/v1/payments"].json()["total"] == 2
    changed = api.client.patch("/api/v1/case-systems/vr", json={"priority": 5}, headers=admin).json()
    assert "generated_secret" not in changed and changed["priority"] == 5
