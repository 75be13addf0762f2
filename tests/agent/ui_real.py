"""A real AgentService for UI tests: real SQLite, a real mosquitto, a simulated ZVT terminal on a pty.

    with zvt_terminal(tmp_path) as sim:            # `counterpay sim terminal --protocol zvt --pty`
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="clerk")

The fee catalogue reaches the agent the way production does it: retained on the
broker's catalogue topic, read by the agent's sync client into its SQLite cache.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from agent import config as agent_config
from agent.service import AgentService
from protocol.keys import KeyDirectory, SigningKey
from protocol.wire import topics
from tests.support.waiting import wait_until

CATALOGUE = {"version": "2026-11-01", "positions": [
    {"code": "REG-01", "name": "Vehicle registration", "unit": "pcs", "unit_minor": 18050, "vat_rate_bp": 0,
     "mandatory": True, "legal_act": "Act 12/2020", "tenders": ["card", "cash"]},
    {"code": "PLATES", "name": "Registration plates", "parent_code": "REG-01", "unit": "pair",
     "unit_minor": 8000, "vat_rate_bp": 2300, "tenders": ["card", "cash"]},
    {"code": "STAMP", "name": "Stamp duty", "unit": "pcs", "unit_minor": 1700, "tenders": ["card", "cash"]},
]}
AGENT_ID = "ui-test-01"
PAGOPA_OK = "PAGOPA|002|001340000013900808|00311260095|5000"
PAGOPA_BAD_CHECK = "PAGOPA|002|399000012345678900|83000390019|222250"


@dataclass
class SimTerminal:
    process: subprocess.Popen
    device: str
    ledger: Path

    def requests(self) -> list[dict]:
        if not self.ledger.exists():
            return []
        return [json.loads(line) for line in self.ledger.read_text().splitlines() if line.strip()]


@contextmanager
def zvt_terminal(tmp_path: Path, scenario: str | None = None, protocol: str = "zvt"):
    """`counterpay sim terminal --protocol zvt|concert --pty` as a subprocess."""
    ledger = tmp_path / "terminal-ledger.jsonl"
    args = [sys.executable, "-m", "counterpay.cli", "sim", "terminal", "--protocol", protocol, "--pty",
            "--record", str(ledger), "--log", str(tmp_path / "terminal.log")]
    if scenario:
        args += ["--scenario", scenario]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("device: "), f"sim terminal said {first!r}"
        yield SimTerminal(proc, first.split(" ", 1)[1].strip(), ledger)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def publish_catalogue(broker_url: str, document: dict = CATALOGUE, topic: str = topics.CATALOGUE) -> None:
    """Retain a broadcast document on the broker, as the hub does."""
    host, port = broker_url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    try:
        client.publish(topic, json.dumps(document), qos=1, retain=True).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


def agent_key(tmp_path: Path) -> SigningKey:
    """The test agent's signing key (made once per test directory)."""
    key_dir = tmp_path / "keys"
    key_dir.mkdir(exist_ok=True)
    path = key_dir / "signing_key.pem"
    if not path.exists():
        path.write_bytes(SigningKey.generate().to_pem())
    return SigningKey.from_pem(path.read_bytes())


def publish_key_directory(broker_url: str, tmp_path: Path, hub_key: SigningKey | None = None) -> None:
    """A key directory with this agent's receipt key (and the hub's order key), retained as the hub does."""
    directory = KeyDirectory()
    directory.add(agent_key(tmp_path).public_entry(AGENT_ID, ["event", "receipt"]))
    if hub_key is not None:
        directory.add(hub_key.public_entry("hub", ["order"]))
    publish_catalogue(broker_url, directory.to_json(), topics.KEYS)


def open_service(tmp_path: Path, broker_url: str | None, terminal_device: str | None, *, mode: str,
                 with_catalogue: bool = True, outbox_cap: int = 10_000, protocol: str = "zvt",
                 login: bool = False, **terminal_options) -> AgentService:
    key_dir = tmp_path / "keys"
    agent_key(tmp_path)
    data: dict = {
        "agent": {"id": AGENT_ID, "office": "Riga 1", "data_dir": str(tmp_path / "data"),
                  "key_dir": str(key_dir), "currency": "EUR", "mode": mode},
        "outbox": {"cap": outbox_cap},
        "printer": {"kind": "file", "path": str(tmp_path / "receipts.bin")},
        # Desks log in by default; the login screen's tests turn it on (tests/agent/test_ui_login.py).
        "desk": {"login": login},
    }
    if broker_url:
        data["hub"] = {"broker": broker_url}
        if with_catalogue:
            publish_catalogue(broker_url)
    if terminal_device:
        data["terminal"] = {"protocol": protocol, "device": terminal_device, "timeout_s": 30, **terminal_options}
    (tmp_path / "data").mkdir(exist_ok=True)
    service = AgentService.open(agent_config.from_dict(data))
    if broker_url and with_catalogue:
        wait_until(service.catalogue, 10, "the retained catalogue at the agent")
    return service
