"""A revoked agent keeps its open broker connection (and so its turn at the hub) until it reconnects.

mosquitto checks the CRL at the TLS handshake only.  Before, revoking rewrote the CRL
and reloaded the broker, and an agent already connected stayed connected: for a quiet
agent, forever.  Now the revocation's callers (the API route, `hub revoke-agent`) cut it:
the hub connects once as that CN with a certificate issued in memory, the broker closes
the agent's connection as a session takeover, and the agent's reconnect fails the CRL.

Figures (printed with -s): how long after the revoke call the revoked agent was still
connected, before (main's steps) and after.
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.security import create_token
from hub.pki.cli_admin import revoke_agent_command
from hub.pki.revocation import reload_broker, revoke_agent
from protocol.wire import topics
from tests.hub.config_support import write_config
from tests.hub.conftest import hub_db  # noqa: F401  (the hub database fixture: SQLite, PostgreSQL)
from tests.security.broker_site import BrokerSite
from tests.support.broker import have_mosquitto
from tests.support.pki_broker import TlsClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")

WATCH_S = 3.0


@pytest.fixture
def site(hub_db, tmp_path):  # noqa: F811
    site = BrokerSite(hub_db, tmp_path)
    site.start_ingest("hub-revocation-test")
    yield site
    site.close()


def _connected_agent(site: BrokerSite, agent_id: str):
    _agent, cert, key = site.enroll(agent_id)
    # As the real agent connects: a persistent session, paho reconnecting on its own.
    link = site.connect(agent_id, cert, key, clean_start=False, session_expiry_s=3600)
    return link, cert, key


def _assert_shut_out(site: BrokerSite, link: TlsClient, cert, key) -> None:
    time.sleep(WATCH_S)           # paho keeps trying to reconnect meanwhile
    assert not link.connected.is_set(), "the revoked agent's reconnect must be refused"
    assert not TlsClient(site.broker, "again", cert, key).connect(timeout_s=2)


def test_before_a_revocation_alone_leaves_the_open_connection_up(site):
    """Main's steps (CRL rewritten, broker reloaded): the finding, so the tests below can fail."""
    link, _cert, _key = _connected_agent(site, "carol-1")
    with site.db.begin() as conn:
        revoke_agent(conn, site.broker.ca, "carol-1", "stolen laptop", "test")
    assert reload_broker(site.broker.files.pid)
    returned = time.monotonic()
    time.sleep(WATCH_S)
    assert link.connected.is_set() and link.disconnects == []
    assert link.publish(topics.events("carol-1"), b"still here") == 0
    print(f"\nbefore: revoked agent still connected {time.monotonic() - returned:.1f} s after the revoke "
          "(until it reconnects by itself)")


def test_the_revoke_route_cuts_the_revoked_agents_connection(site):
    link, cert, key = _connected_agent(site, "dave-1")
    with site.db.begin() as conn:
        admin, _ = create_token(conn, "admin", "admin", "test")
    api = TestClient(create_app(site.settings, context=site.context))
    called = time.monotonic()
    answer = api.post("/api/v1/agents/dave-1/revoke", json={"reason": "stolen laptop"},
                      headers={"Authorization": f"Bearer {admin}"})
    returned = time.monotonic()
    assert answer.status_code == 200, answer.text
    assert answer.json()["broker_reloaded"] is True and answer.json()["connection_cut"] is True
    wait_until(lambda: link.disconnects, 2, "the revoked agent disconnected")
    cut = link.disconnects[0]
    print(f"\nafter (API): connection closed {1000 * (cut - called):.0f} ms after the call began, "
          f"{1000 * (cut - returned):.0f} ms relative to its return (call took {1000 * (returned - called):.0f} ms)")
    assert cut - returned < 0.5
    _assert_shut_out(site, link, cert, key)


def test_the_revoke_command_cuts_the_revoked_agents_connection(site, tmp_path):
    link, cert, key = _connected_agent(site, "erin-1")
    config = write_config(tmp_path / "etc" / "hub.toml", {
        "hub": {"data_dir": site.broker.hub_dir}, "database": {"url": site.db.url},
        "mqtt": {"tls": True, "port": site.broker.port, "ca_file": site.broker.ca_cert}})
    called = time.monotonic()
    result = CliRunner().invoke(revoke_agent_command, ["--config", str(config), "erin-1", "--reason", "stolen"])
    returned = time.monotonic()
    assert result.exit_code == 0, result.output
    assert "connection_cut: true" in result.output and "key directory published" in result.output
    wait_until(lambda: link.disconnects, 2, "the revoked agent disconnected")
    print(f"\nafter (CLI): connection closed {1000 * (link.disconnects[0] - returned):.0f} ms relative to the "
          f"command's return (it took {1000 * (returned - called):.0f} ms)")
    _assert_shut_out(site, link, cert, key)
