"""An agent sends a second, different version of a stored payment: kept apart, told, counted.

Same payment id, a new message id, 150000 instead of 1500: the first payment stands,
the agent gets a `rejected` ack saying why, the second version is listed at
GET /api/v1/payments/conflicts and counted.  The same body under a new message id
(a restored journal re-sending) stays a plain duplicate.
"""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import select

from hub.store.tables import payments
from tests.hub.agents import FakeAgent, WireClient
from tests.hub.api_support import Api
from tests.hub.conftest import directory, hub_context, hub_db  # noqa: F401  (fixtures)
from tests.security.ingest_support import worker  # noqa: F401  (fixture)
from tests.support.waiting import wait_until


def _conflicts() -> float:
    return REGISTRY.get_sample_value("counterpay_hub_ingest_payment_conflicts_total") or 0.0


def test_a_second_version_of_a_payment_is_kept_apart_and_never_overwrites_the_first(hub_context, directory,
                                                                                   worker, mosquitto):
    agent = FakeAgent("counter-twice").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-twice", [agent.agent_id])
    before = _conflicts()
    first = agent.payment(1500, payment_id="pay-1")
    client.send(first)
    wait_until(lambda: len(client.acks(agent.agent_id)) == 1, 10, "the hub's acks")
    inflated = agent.payment(150000, payment_id="pay-1")
    resent = agent.payment(1500, payment_id="pay-1", seq=first.seq)          # the same body, a new message
    resent = type(resent)(**{**resent.__dict__, "id": "resent-1"}).signed(agent.key)
    client.send(inflated)
    client.send(resent)
    wait_until(lambda: len(client.acks(agent.agent_id)) == 3, 10, "the hub's acks")
    acks = {a["for_id"]: a for a in client.acks(agent.agent_id)}
    assert acks[first.id]["status"] == "stored"
    assert acks[resent.id]["status"] == "stored"
    assert acks[inflated.id]["status"] == "rejected"
    assert acks[inflated.id]["reason"].startswith("payment_conflict: payment pay-1 is stored already")
    assert "amount_minor" in acks[inflated.id]["reason"]
    with hub_context.db.connect() as conn:
        assert conn.execute(select(payments.c.payment_id, payments.c.amount_minor)).all() == [("pay-1", 1500)]
    assert _conflicts() == before + 1

    api = Api(hub_context)
    listed = api.client.get("/api/v1/payments/conflicts", headers=api.auth(api.token("auditor")))
    assert listed.status_code == 200, listed.text
    [conflict] = listed.json()["conflicts"]
    assert (conflict["agent_id"], conflict["payment_id"], conflict["message_id"], conflict["stored_message_id"]) == \
        (agent.agent_id, "pay-1", inflated.id, first.id)
    assert conflict["differences"] == ["amount_minor", "receipt_id"]
    assert conflict["body"]["amount_minor"] == 150000
    assert api.client.get("/api/v1/payments/conflicts",
                          headers=api.auth(api.token("operator"))).status_code == 403

    client.send(inflated)            # the agent did not get the ack and sends it again: the same answer
    wait_until(lambda: len(client.acks(agent.agent_id)) == 4, 10, "the hub's acks")
    assert client.acks(agent.agent_id)[-1]["status"] == "rejected"
    assert _conflicts() == before + 1
    assert len(api.client.get("/api/v1/payments/conflicts",
                              headers=api.auth(api.token("auditor"))).json()["conflicts"]) == 1
    client.close()
