"""The broker, configured by `hub broker-config`, enforces the wire contract per certificate.

A real mosquitto with the generated TLS configuration and certificates from the hub CA:
an agent publishes only to its own topics and reads only its own acks and commands; the
hub (CN 'hub') consumes the shared subscription; no certificate, no connection.
"""

from __future__ import annotations

import pytest

from hub.pki.ca import CertificateAuthority, PkiPaths
from protocol.wire import topics
from tests.support.broker import have_mosquitto
from tests.support.pki_broker import TlsBroker, TlsClient
from tests.support.waiting import wait_until

NOT_AUTHORIZED = 135   # MQTT v5 reason code 0x87
ACCEPTED = (0, 16)     # success, or success with "no matching subscribers"

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    tls = TlsBroker(tmp_path_factory.mktemp("pki-hub")).start()
    yield tls
    tls.stop()


@pytest.fixture
def clients(broker):
    made: list[TlsClient] = []

    def agent(agent_id: str) -> TlsClient:
        client = TlsClient(broker, agent_id, *broker.client_files(agent_id))
        assert client.connect(), f"{agent_id} with a hub-CA certificate must be accepted"
        made.append(client)
        return client

    def hub(client_id: str = "hub-test") -> TlsClient:
        client = broker.hub_client(client_id)
        assert client.connect(), "the hub's own client certificate must be accepted"
        made.append(client)
        return client

    yield agent, hub
    for client in made:
        client.close()


def test_agent_events_reach_the_hub_shared_subscription(clients):
    agent, hub = clients
    consumer = hub("hub-worker-1")
    assert consumer.subscribe(topics.SHARED_EVENTS) == [1]
    a1 = agent("acl-a1")
    assert a1.publish(topics.events("acl-a1"), b"payment-1") == 0
    wait_until(lambda: (topics.events("acl-a1"), b"payment-1") in consumer.received(), 5, "acl-a1's event at the hub")


def test_agent_cannot_publish_as_another_agent(clients):
    agent, hub = clients
    consumer = hub("hub-worker-2")
    consumer.subscribe(topics.SHARED_EVENTS)
    consumer.subscribe(f"{topics.PREFIX}/#")
    a1 = agent("acl-b1")
    assert a1.publish(topics.events("acl-b2"), b"forged") == NOT_AUTHORIZED
    assert a1.publish(topics.state("acl-b2"), b"forged-state") == NOT_AUTHORIZED
    assert a1.publish(topics.acks("acl-b1"), b"self-ack") == NOT_AUTHORIZED      # only the hub acks
    assert a1.publish(topics.commands("acl-b2"), b"cmd") == NOT_AUTHORIZED
    assert a1.publish(topics.KEYS, b"fake directory", retain=True) == NOT_AUTHORIZED
    # One connection's messages arrive in order: once the marker is in, anything forged
    # before it would have been delivered already.
    assert a1.publish(topics.events("acl-b1"), b"marker") == 0
    wait_until(lambda: (topics.events("acl-b1"), b"marker") in consumer.received(), 5, "acl-b1's marker at the hub")
    payloads = [payload for _topic, payload in consumer.received()]
    assert b"forged" not in payloads and b"forged-state" not in payloads
    assert b"self-ack" not in payloads and b"cmd" not in payloads and b"fake directory" not in payloads


def test_agent_reads_only_its_own_acks_and_commands(clients):
    agent, hub = clients
    a1, a2 = agent("acl-c1"), agent("acl-c2")
    for topic in (topics.acks("acl-c2"), topics.commands("acl-c2"), f"{topics.PREFIX}/agents/+/acks",
                  f"{topics.PREFIX}/agents/#", topics.acks("acl-c1"), topics.commands("acl-c1")):
        a1.subscribe(topic)
    a2.subscribe(topics.acks("acl-c2"))
    sender = hub("hub-acker")
    for topic, payload in ((topics.acks("acl-c2"), b"ack for c2"), (topics.commands("acl-c2"), b"cmd for c2"),
                           (topics.acks("acl-c1"), b"ack for c1"), (topics.commands("acl-c1"), b"cmd for c1")):
        assert sender.publish(topic, payload) == 0
    assert sender.publish(topics.acks("acl-c1"), b"marker") == 0
    wait_until(lambda: (topics.acks("acl-c1"), b"marker") in a1.received(), 5, "the marker ack at acl-c1")
    wait_until(lambda: (topics.acks("acl-c2"), b"ack for c2") in a2.received(), 5, "acl-c2's own ack")
    seen = {payload for _topic, payload in a1.received()}
    assert seen == {b"ack for c1", b"cmd for c1", b"marker"}


def test_agent_cannot_read_other_agents_events_or_state(clients):
    agent, _hub = clients
    spy, other = agent("acl-d1"), agent("acl-d2")
    spy.subscribe(f"{topics.PREFIX}/agents/+/events")
    spy.subscribe(topics.state("acl-d2"))
    spy.subscribe(topics.state("acl-d1"))
    assert other.publish(topics.events("acl-d2"), b"private event") in ACCEPTED
    assert other.publish(topics.state("acl-d2"), b"online", retain=True) in ACCEPTED
    assert spy.publish(topics.state("acl-d1"), b"my birth", retain=True) == 0
    wait_until(lambda: (topics.state("acl-d1"), b"my birth") in spy.received(), 5, "acl-d1's own retained state")
    assert {payload for _t, payload in spy.received()} == {b"my birth"}


def test_agents_read_broadcasts_from_the_hub(clients):
    agent, hub = clients
    assert hub("hub-broadcaster").publish(topics.KEYS, b'{"version":1,"keys":[]}', retain=True) in ACCEPTED
    a1 = agent("acl-e1")
    a1.subscribe(f"{topics.BROADCAST}/#")
    wait_until(lambda: (topics.KEYS, b'{"version":1,"keys":[]}') in a1.received(), 5, "the hub's key broadcast")


def test_client_without_certificate_cannot_connect(broker):
    bare = TlsClient(broker, "no-cert", None, None)
    assert not bare.connect(timeout_s=2.0)
    bare.close()


def test_certificate_from_another_ca_cannot_connect(broker, tmp_path):
    stranger_ca = CertificateAuthority.create(PkiPaths(tmp_path / "stranger"))
    # Same CN as a real agent: only the issuer differs.
    foreign = TlsClient(broker, "acl-f1", *broker.client_files("acl-f1", ca=stranger_ca))
    assert not foreign.connect(timeout_s=2.0)
    foreign.close()
