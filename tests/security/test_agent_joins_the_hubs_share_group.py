"""An enrolled agent joins the hub's shared subscription to steal turns of the event stream.

mosquitto 2.0's ACL file does not check SUBSCRIBE (`deny` lines do not refuse it either):
an agent that subscribes to ``$share/<the hub's group>/cp/v1/agents/+/events`` gets its
turn in the group, and the broker then drops that message at the read check while the
sender has its PUBACK: the hub never sees it.  The group name is therefore a site
secret (``[mqtt] share_group``, random from `hub init`).  An agent guessing the old
well-known name, or any other, gets a group of its own: a copy the read check drops,
and the hub's share untouched.

Figures (printed with -s): another agent's 20 events, ack latency without attacker,
under attack on a secret group, and under attack on the well-known group (main's
fixed ``hub``, shown here so the test proves the attack works at all).
"""

from __future__ import annotations

import secrets
import statistics

import pytest

from protocol.wire import topics
from tests.hub.conftest import hub_db  # noqa: F401  (the hub database fixture: SQLite, PostgreSQL)
from tests.security.broker_site import BrokerSite, send_and_time
from tests.support.broker import have_mosquitto

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")

GUESSES = ("hub", "hub-1", "counterpay", "ingest")


@pytest.fixture
def site(hub_db, tmp_path):  # noqa: F811
    site = BrokerSite(hub_db, tmp_path)
    yield site
    site.close()


def _attackers(site: BrokerSite, count: int = 3) -> None:
    """`count` enrolled agents, each subscribed to the shared events under every guessed group name."""
    for n in range(count):
        _agent, cert, key = site.enroll(f"eve-{n}")
        eve = site.connect(f"eve-{n}", cert, key)
        for group in GUESSES:
            # Granted: the broker does not refuse the subscription; only deliveries are read-checked.
            assert eve.subscribe(f"$share/{group}/{topics.PREFIX}/agents/+/events") == [1]
        assert eve.subscribe(f"{topics.PREFIX}/agents/+/events") == [1]


def test_agents_in_guessed_share_groups_do_not_make_the_hub_miss_events(site):
    site.start_ingest(share_group=f"hub-{secrets.token_hex(8)}")
    alice, link = site.agent("alice-1")
    baseline = send_and_time(alice, link)
    _attackers(site)
    attacked = send_and_time(alice, link)
    print(f"\nsecret share group: baseline {baseline.summary()}; under attack {attacked.summary()}")
    assert baseline.missed == 0 and attacked.missed == 0
    # Typical acks as quick as before (one slow ack is the loaded machine's, not the attack's);
    # an event the broker handed to an attacker would never be acked at all.
    assert statistics.median(attacked.latencies_s) < max(0.25, 5 * statistics.median(baseline.latencies_s))
    assert max(attacked.latencies_s) < 2.0
    assert not any(client.received() for client in site.clients if client is not link), \
        "no attacker may receive another agent's events"


def test_with_the_well_known_group_an_attacker_takes_the_hubs_turns(site):
    """The finding itself, on a hub configured as before (share group `hub`): the test above can fail."""
    site.start_ingest(share_group="hub")
    alice, link = site.agent("alice-1")
    baseline = send_and_time(alice, link)
    _attackers(site)
    attacked = send_and_time(alice, link, wait_s=3.0)
    print(f"\nwell-known share group: baseline {baseline.summary()}; under attack {attacked.summary()}")
    assert baseline.missed == 0
    assert attacked.missed >= 10, "three agents in the hub's group take most of its turns"
