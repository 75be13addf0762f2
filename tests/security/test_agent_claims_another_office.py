"""An agent enrolled for one office sends a payment naming another: refused, counted.

Real enrollment (a token for office riga-1, the CA issuing the agent's certificate),
the TLS broker with the generated configuration, the agent's own certificate, the
real ingest: the office of a stored payment is the one the agent was enrolled for.
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
from hub.pki.tls import hub_client_context
from hub.store.tables import payments
from hub.store.tables_ingest import refused_events
from protocol.keys import SigningKey, public_raw
from protocol.wire import decode, topics
from tests.hub.agents import FakeAgent
from tests.hub.conftest import hub_db  # noqa: F401  (fixture)
from tests.support.broker import have_mosquitto
from tests.support.pki_broker import TlsBroker, TlsClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


def _mismatches() -> float:
    return REGISTRY.get_sample_value("counterpay_hub_ingest_office_mismatches_total") or 0.0


@pytest.fixture
def riga_agent(hub_db, tmp_path):
    broker = TlsBroker(tmp_path / "hub").start()
    settings = Settings(database_url=hub_db.url, data_dir=broker.hub_dir)
    context = HubContext(settings=settings, db=hub_db, order_key=SigningKey.generate(),
                         event_key=SigningKey.generate(), directory_ttl_s=0.0)
    worker = IngestWorker(context, host="127.0.0.1", port=broker.port, client_id=f"hub-{uuid.uuid4().hex[:6]}",
                          tls=hub_client_context(settings), clean_start=True, session_expiry_s=0).start()
    agent = FakeAgent("riga-counter-1")
    csr, tls_key = make_csr(agent.agent_id)
    with hub_db.begin() as conn:
        token, _ = create_token(conn, "riga-1", "test")
        result = enroll(conn, broker.ca, EnrollmentRequest(
            token, agent.agent_id, csr.decode(), base64.b64encode(public_raw(agent.key.public_key)).decode()))
    assert result.office == "riga-1"
    cert_path, key_path = tmp_path / "agent.pem", tmp_path / "agent.key"
    cert_path.write_text(result.certificate_pem)
    key_path.write_bytes(tls_key)
    link = TlsClient(broker, agent.agent_id, cert_path, key_path)
    assert link.connect()
    link.subscribe(topics.acks(agent.agent_id))
    yield context, agent, link
    link.close()
    worker.stop()
    broker.stop()


def _acks(link) -> dict[str, dict]:
    return {a["for_id"]: a for _topic, payload in link.received() for a in decode(payload).body["acks"]}


def test_a_payment_for_another_office_than_the_enrolled_one_is_refused(riga_agent):
    context, agent, link = riga_agent
    before = _mismatches()
    foreign = agent.payment(payment_id="for-office-2", office="office-2")
    own = agent.payment(payment_id="for-riga-1")          # FakeAgent names riga-1
    for event in (foreign, own):
        link.publish(topics.events(agent.agent_id), event.encode())
    wait_until(lambda: {foreign.id, own.id} <= _acks(link).keys(), 10, "the condition")
    acks = _acks(link)
    assert acks[own.id]["status"] == "stored"
    assert acks[foreign.id]["status"] == "rejected"
    assert "enrolled for office 'riga-1'" in acks[foreign.id]["reason"]
    with context.db.connect() as conn:
        assert conn.execute(select(payments.c.payment_id, payments.c.office)).all() == [("for-riga-1", "riga-1")]
        assert conn.execute(select(refused_events.c.message_id, refused_events.c.reason)).all() == \
            [(foreign.id, "office_mismatch")]
    assert _mismatches() == before + 1
