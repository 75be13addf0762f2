"""Enrolled agents through the TLS broker into the real ingest: only what an agent signs as itself is stored.

Agents are enrolled by `enroll()` (their Ed25519 keys land in the key directory the
ingest reads through `hub.pki.keydir.load_directory`), connect with the certificates it
issued, and the hub's ingest worker consumes the shared subscription with the hub's own
client certificate.  A message signed by one agent and sent as another is rejected; a
revoked agent's still-open session gets nothing stored.
"""

from __future__ import annotations

import base64
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from hub.config import Settings
from hub.context import HubContext
from hub.ingest.worker import IngestWorker
from hub.pki.ca import make_csr
from hub.pki.enrollment import EnrollmentRequest, create_token, enroll
from hub.pki.revocation import revoke_agent
from hub.pki.tls import hub_client_context
from hub.store.tables import payments
from protocol.keys import SigningKey, public_raw
from protocol.wire import decode, make, topics
from tests.hub.agents import FakeAgent
from tests.support.broker import have_mosquitto
from tests.support.pki_broker import TlsBroker, TlsClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


def rejected(reason: str) -> float:
    return REGISTRY.get_sample_value("counterpay_hub_ingest_rejected_total", {"reason": reason}) or 0.0


@pytest.fixture
def setup(hub_db, tmp_path):
    broker = TlsBroker(tmp_path / "hub").start()
    settings = Settings(database_url=hub_db.url, data_dir=broker.hub_dir)
    # No static directory: the ingest verifies against what enrollment stored.
    context = HubContext(settings=settings, db=hub_db, order_key=SigningKey.generate(),
                         event_key=SigningKey.generate(), directory_ttl_s=0.0)
    worker = IngestWorker(context, host="127.0.0.1", port=broker.port, client_id=f"hub-{uuid.uuid4().hex[:6]}",
                          tls=hub_client_context(settings), clean_start=True, session_expiry_s=0).start()
    assert worker.subscribed.is_set(), "the hub's client certificate must get the shared subscription"
    opened: list[TlsClient] = []

    def enrolled(agent_id: str) -> tuple[FakeAgent, TlsClient]:
        agent = FakeAgent(agent_id)
        csr, tls_key = make_csr(agent_id)
        with hub_db.begin() as conn:
            token, _ = create_token(conn, "riga-1", "test")
            result = enroll(conn, broker.ca, EnrollmentRequest(
                token, agent_id, csr.decode(), base64.b64encode(public_raw(agent.key.public_key)).decode()))
        cert_path, key_path = tmp_path / f"{agent_id}.pem", tmp_path / f"{agent_id}.key"
        cert_path.write_text(result.certificate_pem)
        key_path.write_bytes(tls_key)
        client = TlsClient(broker, agent_id, cert_path, key_path)
        assert client.connect()
        client.subscribe(topics.acks(agent_id))
        opened.append(client)
        return agent, client

    yield broker, context, enrolled
    for client in opened:
        client.close()
    worker.stop()
    broker.stop()


def stored_payment_ids(db) -> set[str]:
    with db.connect() as conn:
        return set(conn.execute(select(payments.c.payment_id)).scalars())


def test_a_message_signed_by_one_agent_and_sent_as_another_is_rejected(setup):
    broker, context, enrolled = setup
    alice, alice_link = enrolled("alice-1")
    bob, _bob_link = enrolled("bob-1")
    mismatched, wrong_owner = rejected("agent_mismatch"), rejected("signature_wrong_owner")

    # Alice, on her own topic, claims to be Bob (signed with her key): the envelope's agent is not the topic's.
    as_bob = make("bob-1", 1, "payment.captured", {**alice.payment().body, "payment_id": "forged-1"}, alice.key)
    assert alice_link.publish(topics.events("alice-1"), as_bob.encode()) in (0, 16)
    # Alice sends an envelope naming herself but signed with Bob's key: the key is not hers.
    stolen = make("alice-1", 2, "payment.captured", {**alice.payment().body, "payment_id": "forged-2"}, bob.key)
    assert alice_link.publish(topics.events("alice-1"), stolen.encode()) in (0, 16)
    # Alice writing straight onto Bob's topic never reaches the hub at all (broker ACL).
    assert alice_link.publish(topics.events("bob-1"), as_bob.encode()) == 135

    honest = alice.payment(900, payment_id="honest-1")
    assert alice_link.publish(topics.events("alice-1"), honest.encode()) in (0, 16)
    wait_until(lambda: "honest-1" in stored_payment_ids(context.db), 10, "the honest payment in the hub's store")
    wait_until(lambda: rejected("agent_mismatch") > mismatched and rejected("signature_wrong_owner") > wrong_owner, 5,
               "both forgeries counted as rejected")
    assert stored_payment_ids(context.db) == {"honest-1"}
    wait_until(lambda: any(any(a["for_id"] == honest.id for a in decode(p).body["acks"]) for _t, p in alice_link.received()),
               5, "alice's ack for the honest payment")


def test_a_revoked_agents_open_session_gets_nothing_stored(setup):
    broker, context, enrolled = setup
    carol, link = enrolled("carol-1")
    first = carol.payment(payment_id="before-revocation")
    link.publish(topics.events("carol-1"), first.encode())
    wait_until(lambda: "before-revocation" in stored_payment_ids(context.db), 10, "the payment made before revocation")
    with context.db.begin() as conn:
        revoke_agent(conn, broker.ca, "carol-1", "stolen laptop", "test")
    revoked_before = rejected("signature_revoked")
    link.publish(topics.events("carol-1"), carol.payment(payment_id="after-revocation").encode())
    wait_until(lambda: rejected("signature_revoked") > revoked_before, 10, "the revoked key's payment rejected")
    assert "after-revocation" not in stored_payment_ids(context.db)
