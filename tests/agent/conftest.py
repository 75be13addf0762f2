"""Fixtures of the agent tests: keys, a simulated ZVT terminal process, agent configs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from protocol.keys import KeyDirectory, SigningKey
from tests.support.acking_peer import AckingPeer
from tests.support.waiting import wait_until

AGENT_ID = "desk-1"
ROOT = Path(__file__).resolve().parents[2]
COUNTERPAY = [sys.executable, "-m", "counterpay"]


@dataclass
class Keys:
    agent: SigningKey
    hub: SigningKey
    directory: KeyDirectory


@pytest.fixture
def keys() -> Keys:
    agent, hub = SigningKey.generate(), SigningKey.generate()
    directory = KeyDirectory()
    directory.add(agent.public_entry(AGENT_ID, ["event", "receipt"]))
    directory.add(hub.public_entry("hub", ["event", "order"]))
    return Keys(agent, hub, directory)


class TerminalSim:
    """`counterpay sim terminal --protocol zvt --pty --record LEDGER` as a real process."""

    def __init__(self, workdir: Path, protocol: str = "zvt", scenario: str | None = None, link: Path | None = None):
        self.ledger = workdir / "ledger.jsonl"
        args = [*COUNTERPAY, "sim", "terminal", "--protocol", protocol, "--pty", "--record", str(self.ledger),
                "--log", str(workdir / "sim.log")]
        if scenario:
            args += ["--scenario", scenario]
        if link:
            args += ["--link", str(link)]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                        cwd=ROOT, start_new_session=True)
        line = self.process.stdout.readline()
        if not line.startswith("device:"):
            self.stop()
            raise RuntimeError(f"terminal simulator did not start: {line!r}")
        self.device = line.split(":", 1)[1].strip()

    def records(self) -> list[dict]:
        if not self.ledger.exists():
            return []
        return [json.loads(line) for line in self.ledger.read_text().splitlines() if line.strip()]

    def charges(self) -> list[dict]:
        return [r for r in self.records() if r.get("record") == "request" and r.get("charged")]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def zvt_sim(tmp_path):
    (tmp_path / "sim").mkdir()
    sim = TerminalSim(tmp_path / "sim")
    yield sim
    sim.stop()


def write_config(workdir: Path, keys: Keys, *, broker: str | None = None, device: str | None = None,
                 cap: int = 10_000, ack_timeout_s: float = 30, extra: str = "", protocol: str = "zvt",
                 terminal_options: str = "", printer: str | None = None, login: bool = False) -> Path:
    key_dir = workdir / "keys"
    key_dir.mkdir(parents=True, exist_ok=True)
    (key_dir / "signing_key.pem").write_bytes(keys.agent.to_pem())
    lines = ["[agent]", f'id = "{AGENT_ID}"', 'office = "Riga 1"', f'data_dir = "{workdir / "data"}"',
             f'key_dir = "{key_dir}"', "", "[outbox]", f"cap = {cap}", ""]
    if broker:
        lines += ["[hub]", f'broker = "{broker}"', f"ack_timeout_s = {ack_timeout_s}", ""]
    if device:
        lines += ["[terminal]", f'protocol = "{protocol}"', f'device = "{device}"', terminal_options, ""]
    lines += ["[printer]", printer or f'kind = "file"\npath = "{workdir / "receipts.bin"}"', ""]
    # Desks log in by default; the tests of other things run an anonymous desk (tests/agent/test_desk_login.py).
    lines += ["[desk]", f"login = {'true' if login else 'false'}", "", extra]
    path = workdir / "agent.toml"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def peer(mosquitto, keys):
    acking = AckingPeer(mosquitto.port, keys.directory, keys.hub).start()
    wait_until(lambda: acking.client.is_connected(), 10, "the acking peer connected to mosquitto")
    yield acking
    acking.stop()
