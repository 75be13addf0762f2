"""One agent keeps sending events the store cannot hold: the other agents' acks stay fast.

Through a real mosquitto into the real ingest.  The attacker's events pass every check
but fail in the store (a `seq` of 2^64 did that before the wire bounded its integers;
here the store is made to fail on a marked payment, the same OverflowError SQLite
raised).  A failing batch is halved at once and the failing event quarantined with a
`rejected` ack, so the honest agent's ack latency stays where it is without the
attack, instead of paying a round of retries for every batch the attacker shares.
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from protocol.wire import WireError, decode
from protocol.wire.messages import MAX_BIGINT
from hub.store.tables import payments
from hub.store.tables_ingest import refused_events
from tests.hub.agents import FakeAgent, WireClient
from tests.hub.conftest import directory, hub_context, hub_db  # noqa: F401  (fixtures)
from tests.security.ingest_support import worker  # noqa: F401  (fixture)
from tests.support.waiting import wait_until

POISON = 666            # the amount that marks the attacker's events


def _p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[-1]


def _paced_latencies(client: WireClient, agent: FakeAgent, count: int) -> list[float]:
    """Send `count` payments one after another, each once the last is acked; publish → ack seconds."""
    latencies = []
    for _ in range(count):
        event = agent.payment(1500)
        started = time.monotonic()
        client.send(event)
        wait_until(lambda event=event: any(a["for_id"] == event.id for a in client.acks(agent.agent_id)), 20,
                   "the hub's ack of the honest payment")
        latencies.append(time.monotonic() - started)
    return latencies


def test_an_agent_whose_events_fail_in_the_store_does_not_slow_the_others(hub_context, directory, worker,
                                                                        mosquitto, monkeypatch):
    import hub.ingest.worker as worker_module
    real_store_batch = worker_module.store_batch

    def store_failing_on_the_poison(conn, events, *rest):
        if any(envelope.body.get("amount_minor") == POISON for envelope, _ in events):
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real_store_batch(conn, events, *rest)

    monkeypatch.setattr(worker_module, "store_batch", store_failing_on_the_poison)
    worker.batch_window_s = 0.02
    honest, attacker = FakeAgent("honest-1").enroll(directory), FakeAgent("attacker-1").enroll(directory)
    honest_link = WireClient(mosquitto.port, "agent-honest-1", [honest.agent_id])
    attacker_link = WireClient(mosquitto.port, "agent-attacker-1", [attacker.agent_id])
    calm = _paced_latencies(honest_link, honest, 30)

    stop = threading.Event()

    def attack():
        while not stop.is_set():
            attacker_link.send(attacker.payment(POISON))
            stop.wait(0.1)

    attacking = threading.Thread(target=attack, daemon=True)
    attacking.start()
    try:
        time.sleep(0.3)
        under_attack = _paced_latencies(honest_link, honest, 60)
    finally:
        stop.set()
        attacking.join(5)
    print(f"\nhonest agent's ack latency: p95 {_p95(calm) * 1000:.0f} ms without the attack, "
          f"{_p95(under_attack) * 1000:.0f} ms under it (median {statistics.median(under_attack) * 1000:.0f} ms)")
    assert _p95(under_attack) < max(0.25, 3 * _p95(calm))
    # The attacker was told, and its events are quarantined, not lost or stored.
    wait_until(lambda: attacker_link.acks(attacker.agent_id), 10, "the hub's acks")
    assert {a["status"] for a in attacker_link.acks(attacker.agent_id)} == {"rejected"}
    with hub_context.db.connect() as conn:
        assert POISON not in conn.execute(select(payments.c.amount_minor)).scalars().all()
        assert set(conn.execute(select(refused_events.c.reason)).scalars()) == {"store_failed"}
    assert (REGISTRY.get_sample_value("counterpay_hub_ingest_quarantined_total") or 0) >= 1
    honest_link.close()
    attacker_link.close()


def test_a_sequence_the_store_cannot_hold_is_refused_at_the_wire(directory):
    attacker = FakeAgent("attacker-2").enroll(directory)
    text = attacker.payment(1500).encode().decode().replace('"seq":1', f'"seq":{2**64}')
    with pytest.raises(WireError, match="signed 64-bit"):
        decode(text.encode())
    assert decode(attacker.payment(1500, seq=MAX_BIGINT).encode()).seq == MAX_BIGINT
