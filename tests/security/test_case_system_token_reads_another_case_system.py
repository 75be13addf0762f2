"""Finding 11: a case-system token read another case system's payments and listed every
order.  Over real HTTP: a token bound to case system `one` sees ONE-… cases, their
payments and orders, and gets 404 for everything of `two`, as for what does not exist."""

from __future__ import annotations

import pytest

from tests.hub.agents import FakeAgent

PAYER_OF_TWO = "Ilze Kalniņa"


@pytest.fixture
def two_case_systems(live_hub):
    live_hub.register("one", r"ONE-\d+")
    live_hub.register("two", r"TWO-\d+")
    agent = FakeAgent("desk-1")
    live_hub.store(agent.payment(1500, case_ref="ONE-1", payer={"name": "Anna Bērziņa"}),
                   agent.payment(2500, case_ref="TWO-1", payer={"name": PAYER_OF_TWO}))
    operator = live_hub.auth(live_hub.token("operator"))
    orders = {}
    for case in ("ONE-1", "TWO-1"):
        created = live_hub.client.post("/api/v1/orders", headers=operator, json={
            "amount_minor": 1000, "case_ref": case, "payer": {"name": PAYER_OF_TWO if case == "TWO-1" else "A"}})
        assert created.status_code == 201, created.text
        orders[case] = created.json()
    return live_hub, operator, orders


def test_a_case_system_token_gets_404_for_another_case_systems_case(two_case_systems):
    hub, operator, _orders = two_case_systems
    one = hub.auth(hub.token("case-system", case_system="one"))

    theirs = hub.client.get("/api/v1/cases/TWO-1/payments", headers=one)
    assert theirs.status_code == 404
    assert PAYER_OF_TWO not in theirs.text
    unknown = hub.client.get("/api/v1/cases/TWO-999/payments", headers=one)
    assert (unknown.status_code, unknown.json()["detail"].replace("999", "1")) == (404, theirs.json()["detail"]), \
        "another system's case and a case that does not exist are answered alike"

    own = hub.client.get("/api/v1/cases/ONE-1/payments", headers=one)
    assert own.status_code == 200
    assert [p["amount_minor"] for p in own.json()["payments"]] == [1500]
    assert [o["case_ref"] for o in own.json()["orders"]] == ["ONE-1"]
    # an operator still sees every case
    assert hub.client.get("/api/v1/cases/TWO-1/payments", headers=operator).json()["payments"][0]["payer_name"] \
        == PAYER_OF_TWO


def test_a_case_system_token_cannot_list_or_read_another_case_systems_orders(two_case_systems):
    hub, operator, orders = two_case_systems
    one = hub.auth(hub.token("case-system", case_system="one"))
    theirs, mine = orders["TWO-1"], orders["ONE-1"]

    everything = hub.client.get("/api/v1/orders", headers=one)
    assert everything.status_code == 422, "a case-system token lists one case's or one reference's orders"
    assert hub.client.get("/api/v1/orders", params={"case_ref": "TWO-1"}, headers=one).json() == []
    assert hub.client.get("/api/v1/orders", params={"reference": theirs["reference"]}, headers=one).json() == []
    assert hub.client.get("/api/v1/orders", params={"case_ref": "ONE-1", "payer": PAYER_OF_TWO[:4]},
                          headers=one).json() == []
    for path in ("", "/notice.pdf", "/notice.png"):
        assert hub.client.get(f"/api/v1/orders/{theirs['order_id']}{path}", headers=one).status_code == 404
    assert hub.client.get(f"/api/v1/orders/{mine['order_id']}", headers=one).json()["case_ref"] == "ONE-1"
    listed = hub.client.get("/api/v1/orders", params={"reference": mine["reference"]}, headers=one).json()
    assert [o["order_id"] for o in listed] == [mine["order_id"]]
    assert len(hub.client.get("/api/v1/orders", headers=operator).json()) == 2


def test_a_case_system_token_cannot_issue_orders_for_another_case_system(two_case_systems):
    hub, operator, _orders = two_case_systems
    one = hub.auth(hub.token("case-system", case_system="one"))

    refused = hub.client.post("/api/v1/orders", headers=one, json={"amount_minor": 700, "case_ref": "TWO-2"})
    assert refused.status_code == 404
    assert hub.client.get("/api/v1/orders", params={"case_ref": "TWO-2"}, headers=operator).json() == [], \
        "the refused order was not created"
    assert hub.client.post("/api/v1/orders", headers=one, json={"amount_minor": 700}).status_code == 404
    made = hub.client.post("/api/v1/orders", headers=one, json={"amount_minor": 700, "case_ref": "ONE-2"})
    assert made.status_code == 201, made.text


def test_a_case_system_token_is_created_for_one_registered_case_system(live_hub):
    live_hub.register("one", r"ONE-\d+")
    create = lambda **body: live_hub.client.post("/api/v1/tokens", headers=live_hub.admin,
                                                 json={"name": "t", **body})
    assert create(role="case-system").status_code == 422
    unknown = create(role="case-system", case_system="nobody")
    assert unknown.status_code == 422 and "not registered" in unknown.json()["detail"]
    assert create(role="operator", case_system="one").status_code == 422
    made = create(role="case-system", case_system="one")
    assert made.status_code == 201 and made.json()["case_system"] == "one"
    listed = live_hub.client.get("/api/v1/tokens", headers=live_hub.admin).json()
    assert [t["case_system"] for t in listed if t["role"] == "case-system"] == ["one"]
    audit = live_hub.client.get("/api/v1/audit", params={"subject": f"token:{made.json()['id']}"},
                                headers=live_hub.admin).json()
    assert audit[0]["details"]["case_system"] == "one"
