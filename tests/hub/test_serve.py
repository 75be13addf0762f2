"""`counterpay hub init` then `counterpay hub serve` as real processes: an enrolled
agent's payment over a real mosquitto is acked and shows up in the REST API, and a
bad configuration is refused with the file, the key and what was expected."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from protocol.keys import KeyDirectory
from protocol.wire import topics
from hub.config import ConfigError, load
from hub.store.db import Database
from tests.hub.agents import FakeAgent, WireClient
from tests.support.broker import free_port, wait_for_port
from tests.support.waiting import wait_until

COUNTERPAY = [sys.executable, "-m", "counterpay"]


def _plain_mqtt(config_text: str, port: int, api_port: int) -> str:
    config_text = re.sub(r"(?m)^port = 8883$", f"port = {port}", config_text)
    config_text = re.sub(r"(?m)^tls = true$", "tls = false", config_text)
    config_text = re.sub(r'(?m)^(ca_file|cert_file|key_file) = .*$', "", config_text)
    return re.sub(r"(?m)^port = 8080$", f"port = {api_port}", config_text)


def test_init_then_serve_takes_a_payment_from_mqtt_to_the_api(tmp_path, mosquitto):
    hub_dir = tmp_path / "hub"
    init = subprocess.run([*COUNTERPAY, "hub", "init", "--dir", str(hub_dir)], capture_output=True, text=True,
                          timeout=60)
    assert init.returncode == 0, init.stderr
    token = re.search(r"token \(shown only now.*\): (\S+)", init.stdout).group(1)
    assert oct((hub_dir / "keys" / "order.pem").stat().st_mode & 0o777) == "0o600"
    again = subprocess.run([*COUNTERPAY, "hub", "init", "--dir", str(hub_dir)], capture_output=True, text=True,
                           timeout=60)
    assert "token" not in again.stdout                      # shown once, never again
    config = hub_dir / "hub.toml"
    api_port = free_port()
    config.write_text(_plain_mqtt(config.read_text(), mosquitto.port, api_port))
    agent = FakeAgent("serve-desk-1")
    keydir = pytest.importorskip("hub.pki.keydir")
    database = Database.open(load(config).database_url)
    with database.begin() as conn:
        keydir.add_key(conn, agent.key.public_entry(agent.agent_id, ["event", "receipt"]))
    database.dispose()
    server = subprocess.Popen([*COUNTERPAY, "hub", "serve", "--config", str(config)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(api_port, 30)
        client = WireClient(mosquitto.port, "serve-desk-1", [agent.agent_id])
        event = agent.payment(4200, case_ref="CASE-SERVE")

        def acked() -> bool:
            if client.acks(agent.agent_id):
                return True
            client.send(event)      # until the hub's subscription is up, the broker drops it
            return False
        wait_until(acked, 20, "the hub's ack of the payment", poll_s=0.5)
        assert client.acks(agent.agent_id)[0]["for_id"] == event.id
        client.close()
        headers = {"Authorization": f"Bearer {token}"}
        found = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/cases/CASE-SERVE/payments", headers=headers).json()
        assert [p["amount_minor"] for p in found["payments"]] == [4200]
        assert httpx.get(f"http://127.0.0.1:{api_port}/api/v1/agents", headers=headers).json()[0]["agent_id"] == \
            agent.agent_id
        assert "counterpay_hub_ingest_events_total" in httpx.get(f"http://127.0.0.1:{api_port}/metrics", headers=headers).text
        # the key directory went out retained when the hub connected: a late subscriber gets it
        late = WireClient(mosquitto.port, "late-reader")
        late.client.subscribe(topics.KEYS, qos=1)
        wait_until(lambda: late.received.get(topics.KEYS), 10, "the retained key directory")
        keys = KeyDirectory.from_json(json.loads(late.received[topics.KEYS][-1]))
        assert {e.owner for e in keys.entries.values()} >= {"hub", agent.agent_id}
        late.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)


def test_a_bad_configuration_names_the_file_the_key_and_what_is_expected(tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text('[database]\nurl = "sqlite:///x.db"\n[mqtt]\nport = "1883"\n')
    with pytest.raises(ConfigError, match=r"hub.toml: \[mqtt\] port = '1883'; expected an integer"):
        load(config)
    config.write_text('[mqtt]\nport = 1883\n')
    with pytest.raises(ConfigError, match=r"\[database\] url is missing; expected a database URL"):
        load(config)
    config.write_text('[database]\nurl = "mysql://x"\n')
    with pytest.raises(ConfigError, match=r"\[database\] url = 'mysql://x'; expected sqlite"):
        load(config)
    config.write_text("[database\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(config)
    result = subprocess.run([*COUNTERPAY, "hub", "serve", "--config", str(config)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "not valid TOML" in result.stderr
