"""An enrolled agent names the hub's (or another agent's) client id to take over its session.

Before, with an agent certificate, client id ``hub-1`` and clean_start=False the broker
closed the hub's connection and handed the attacker the hub's stored session: events
queued for the hub while it was away were never stored.  The generated broker now takes
every client id from the certificate CN (``use_username_as_clientid``): whatever id an
agent sends, it is itself, and neither the hub nor another agent is disturbed.
"""

from __future__ import annotations

import secrets
import time

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select

from hub.store.tables import payments
from protocol.wire import topics
from tests.hub.conftest import hub_db  # noqa: F401  (the hub database fixture: SQLite, PostgreSQL)
from tests.security.broker_site import BrokerSite
from tests.support.broker import have_mosquitto
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")

HUB_SESSION = {"client_id": "hub-1", "clean_start": False, "session_expiry_s": 600}


@pytest.fixture
def site(hub_db, tmp_path):  # noqa: F811
    site = BrokerSite(hub_db, tmp_path)
    yield site
    site.close()


def _stored(site: BrokerSite) -> set[str]:
    with site.db.connect() as conn:
        return set(conn.execute(select(payments.c.payment_id)).scalars())


def test_an_agent_with_the_hubs_client_id_neither_cuts_the_hub_nor_takes_its_queue(site):
    group = f"hub-{secrets.token_hex(8)}"
    worker = site.start_ingest(group, **HUB_SESSION)
    bob, bob_link = site.agent("bob-1")
    _eve, eve_cert, eve_key = site.enroll("eve-1")

    # The hub connected: an agent claiming its ids (the configured one and the CN) cuts nothing.
    drops = []
    worker.client.on_disconnect = lambda *_a, **_k: drops.append(time.monotonic())
    for claimed in ("hub-1", "hub"):
        site.connect(claimed, eve_cert, eve_key, clean_start=False, session_expiry_s=600).close()
    time.sleep(0.5)
    assert drops == [] and worker.connected.is_set(), "the hub must stay connected"

    # The hub away, 5 events queued in its session; an agent tries to take that session over.
    site.stop_ingest(worker)
    queued = [bob.payment(payment_id=f"queued-{n}") for n in range(5)]
    for envelope in queued:
        assert bob_link.publish(topics.events("bob-1"), envelope.encode()) == 0
    thieves = [site.connect(claimed, eve_cert, eve_key, clean_start=False, session_expiry_s=600)
               for claimed in ("hub-1", "hub")]
    time.sleep(0.5)
    assert not any(thief.received() for thief in thieves), "an agent must not receive the hub's queue"
    for thief in thieves:
        thief.close()
    site.start_ingest(group, **HUB_SESSION)
    wait_until(lambda: {f"queued-{n}" for n in range(5)} <= _stored(site), 10,
               "the hub's 5 queued events all stored", detail=lambda: f"stored {sorted(_stored(site))}")


def test_an_agent_with_another_agents_client_id_does_not_cut_it_off(site):
    _bob, bob_cert, bob_key = site.enroll("bob-1")
    bob = site.connect("bob-1", bob_cert, bob_key, clean_start=False, session_expiry_s=600)
    _eve, eve_cert, eve_key = site.enroll("eve-1")
    eve = site.connect("bob-1", eve_cert, eve_key, clean_start=mqtt.MQTT_CLEAN_START_FIRST_ONLY)
    time.sleep(0.5)
    assert bob.disconnects == [] and bob.connected.is_set(), "bob must stay connected"
    # And eve is still eve: what the hub sends bob reaches bob, not her.
    bob.subscribe(topics.acks("bob-1"))
    eve.subscribe(topics.acks("bob-1"))
    hub = site.broker.hub_client("hub-acks")
    assert hub.connect()
    site.clients.append(hub)
    assert hub.publish(topics.acks("bob-1"), b"for bob") == 0
    wait_until(lambda: (topics.acks("bob-1"), b"for bob") in bob.received(), 5, "bob's own message at bob")
    assert eve.received() == []
