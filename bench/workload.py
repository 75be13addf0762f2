"""What the agent benchmarks share: one payment.captured body, the agent's and hub's
keys, the acking peer standing in for the hub, a percentile and a process's RSS.

Imported after the script has put the repository root on sys.path."""

from __future__ import annotations

import time
from pathlib import Path

from protocol.keys import KeyDirectory, SigningKey


def agent_and_hub_keys(agent_id: str) -> tuple[SigningKey, SigningKey, KeyDirectory]:
    """A fresh agent key and hub key, and the directory that lists both."""
    key, hub = SigningKey.generate(), SigningKey.generate()
    directory = KeyDirectory()
    directory.add(key.public_entry(agent_id, ["event", "receipt"]))
    directory.add(hub.public_entry("hub", ["event"]))
    return key, hub, directory


def run_peer(port: int, directory_json: dict, hub_pem: bytes, ready, done, cpu_used=None) -> None:
    """The acking peer (the hub's MQTT side) in a process of its own, until `done`;
    its CPU seconds go to `cpu_used` (a shared value) when given."""
    from tests.support.acking_peer import AckingPeer
    peer = AckingPeer(port, KeyDirectory.from_json(directory_json), SigningKey.from_pem(hub_pem)).start()
    deadline = time.monotonic() + 10
    while not peer.client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)   # subscriptions granted
    started = time.process_time()
    ready.set()
    done.wait()
    if cpu_used is not None:
        cpu_used.value = time.process_time() - started
    peer.stop()


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def payment_body(n: int) -> dict:
    """A signed payment.captured event body, numbered n (ids and amounts vary with n)."""
    return {"payment_id": f"p-{n:08d}", "receipt_id": f"R-20261122-{n:06d}", "office": "Riga 1",
            "kind": "payment", "amount_minor": 4500 + n % 100, "currency": "EUR", "tender": "card",
            "reference": {"format": "case", "value": f"WAW/2026/{n}"}, "case_ref": f"WAW/2026/{n}",
            "positions": [{"code": "REG-1", "name": "Vehicle registration", "quantity": 1, "unit_minor": 4500}],
            "card": {"masked_pan": "******1234", "card_type": "girocard", "terminal_id": "52500001",
                     "trace_no": str(n), "receipt_no": str(n), "recovered": False},
            "captured_at": "2026-11-22T10:15:00.000Z"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
