"""[mqtt] share_group: the shared-subscription group `hub serve`'s ingest takes turns in.

The broker lets any client join a group (SUBSCRIBE is not ACL-checked), so the name is
a site secret; `hub init` writes a random one.  Checked on the worker `hub serve`
builds, against a real mosquitto: a client in the configured group shares the stream
with the hub; a client in any other group gets a copy of its own and takes nothing.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from hub import serve
from hub.config import WELL_KNOWN_SHARE_GROUP, load
from hub.setup import init_hub
from tests.hub.config_support import settings_for
from tests.support.broker import Mosquitto, have_mosquitto
from tests.support.waiting import WaitTimeout, wait_until

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")

EVENTS = 10


@pytest.fixture
def broker(tmp_path):
    mosquitto = Mosquitto(tmp_path / "broker").start()
    yield mosquitto
    mosquitto.stop()


def _client(port: int, topic: str):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    got: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:6]}",
                         protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, message: got.append(message.payload)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe(topic, qos=1)
    return client, got


def _share(tmp_path, broker, group: str, probe_group: str) -> tuple[int, int]:
    """With serve's ingest in `group` and a probe in `probe_group`: (events the probe got, sent)."""
    settings = settings_for(tmp_path, mqtt={"port": broker.port, "share_group": group})
    context = serve.context_from_settings(settings)
    ingest = serve.build_ingest(settings, context).start()
    probe, got = _client(broker.port, f"$share/{probe_group}/cp/v1/agents/+/events")
    sender, _ = _client(broker.port, "unused/probe")
    try:
        assert ingest.subscribed.is_set()
        time.sleep(0.3)                        # the probe's SUBACK
        for n in range(EVENTS):
            sender.publish("cp/v1/agents/desk-1/events", f"not an envelope {n}".encode(), qos=1).wait_for_publish()
        try:
            wait_until(lambda: len(got) >= EVENTS, 1.0, f"{EVENTS} events at the probe")
        except WaitTimeout:
            pass   # the caller compares what the probe got: in another group, nothing
        return len(got), EVENTS
    finally:
        for client in (probe, sender):
            client.disconnect()
            client.loop_stop()
        ingest.stop()
        context.db.dispose()


def test_share_group_is_the_group_serves_ingest_takes_turns_in(tmp_path, broker):
    got, sent = _share(tmp_path, broker, "site-secret-1", "site-secret-1")
    assert 0 < got < sent, "a client in the configured group must share the stream with the hub"


def test_a_client_in_another_group_takes_no_turn_from_the_hub(tmp_path, broker):
    got, sent = _share(tmp_path, broker, "site-secret-2", WELL_KNOWN_SHARE_GROUP)
    assert got == sent, "another group gets its own copy of every event: the hub's share is whole"


def test_hub_init_writes_a_random_share_group(tmp_path):
    groups = set()
    for site in ("one", "two"):
        init_hub(tmp_path / site)
        groups.add(load(tmp_path / site / "hub.toml").mqtt.share_group)
    assert len(groups) == 2 and all(re.fullmatch(r"hub-[0-9a-f]{16}", group) for group in groups)


def test_the_share_group_stays_out_of_the_settings_repr(tmp_path):
    settings = settings_for(tmp_path, mqtt={"share_group": "hub-0123456789abcdef"})
    assert "0123456789abcdef" not in repr(settings)
