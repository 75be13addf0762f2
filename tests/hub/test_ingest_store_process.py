"""The ingest with its store in a process of its own (as `hub serve` runs it), through a
real mosquitto, on SQLite and PostgreSQL: stored exactly once, acked after the commit,
and a store process killed with -9 is replaced without losing or doubling anything."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from sqlalchemy import func, select

from hub.ingest.worker import IngestWorker
from hub.store.tables import acks_sent, events, payments
from tests.hub.agents import FakeAgent, WireClient
from tests.support.waiting import wait_until


@pytest.fixture
def worker(hub_context, mosquitto):
    ingest = IngestWorker(hub_context, host="127.0.0.1", port=mosquitto.port,
                          client_id=f"hub-{uuid.uuid4().hex[:6]}", clean_start=True,
                          session_expiry_s=0, gap_grace_s=0.3, store_process=True).start()
    yield ingest
    ingest.stop()


def _count(db, table) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_events_are_stored_once_by_the_store_process_and_acked(hub_context, directory, worker, mosquitto):
    agent = FakeAgent("sp-desk-1").enroll(directory)
    client = WireClient(mosquitto.port, "agent-sp-desk-1", [agent.agent_id])
    sent = [agent.payment(100 + n, case_ref=f"CASE-{n}") for n in range(20)]
    for envelope in sent + sent[:5]:                  # five sent twice
        client.send(envelope)
    wait_until(lambda: len(client.acks(agent.agent_id)) == 25, 10, "25 acks")
    statuses = {}
    for item in client.acks(agent.agent_id):
        statuses.setdefault(item["for_id"], []).append(item["status"])
    assert set(statuses) == {e.id for e in sent}
    assert sorted(statuses[e.id] for e in sent) == [["stored"]] * 15 + [["stored", "duplicate"]] * 5
    assert (_count(hub_context.db, events), _count(hub_context.db, payments)) == (20, 20)
    assert _count(hub_context.db, acks_sent) == len(client.ack_messages(agent.agent_id))
    assert worker._store_process._process.pid != os.getpid()
    client.close()


def test_a_store_process_killed_is_replaced_and_nothing_is_lost_or_doubled(hub_context, directory, worker,
                                                                          mosquitto):
    agent = FakeAgent("sp-desk-2").enroll(directory)
    client = WireClient(mosquitto.port, "agent-sp-desk-2", [agent.agent_id])
    first = [agent.payment(n) for n in range(1, 4)]
    for envelope in first:
        client.send(envelope)
    wait_until(lambda: len(client.acks(agent.agent_id)) == 3, 10, "3 acks")
    old = worker._store_process._process
    os.kill(old.pid, signal.SIGKILL)
    old.join(5)
    second = [agent.payment(n) for n in range(4, 7)]
    for envelope in second + first[:1]:               # and one the dead process had stored
        client.send(envelope)
    wait_until(lambda: len(client.acks(agent.agent_id)) == 7, 20, "7 acks")
    assert worker._store_process._process.pid != old.pid
    assert _count(hub_context.db, payments) == 6
    with hub_context.db.connect() as conn:
        amounts = sorted(conn.execute(select(payments.c.amount_minor)).scalars())
    assert amounts == [1, 2, 3, 4, 5, 6]
    assert [a["status"] for a in client.acks(agent.agent_id) if a["for_id"] == first[0].id] == ["stored", "duplicate"]
    client.close()


def test_a_payment_stored_by_the_store_process_evicts_the_case_lookup_cached_here(hub_context, directory,
                                                                                   worker, mosquitto):
    """The clerk's 'what does this case owe?' is answered from a cache in the serve
    process; a payment for the case must evict it there, not only in the store process,
    or the clerk would see the amount owed from before the payment (and take it again)."""
    from hub.casesys.lookup import CaseLookup, LookupResult
    lookups = CaseLookup(hub_context.db)
    owed = {"ref": "CASE-SP-9", "amount_owed_minor": 4500, "currency": "EUR"}
    for ref in ("CASE-SP-9", "CASE-SP-10"):
        lookups._cache[("registry", ref)] = (lookups.monotonic(), LookupResult("found", ref, "registry", owed))
    agent = FakeAgent("sp-desk-3").enroll(directory)
    client = WireClient(mosquitto.port, "agent-sp-desk-3", [agent.agent_id])
    client.send(agent.payment(4500, case_ref="CASE-SP-9"))
    wait_until(lambda: client.acks(agent.agent_id), 10, "the hub's ack")
    wait_until(lambda: ("registry", "CASE-SP-9") not in lookups._cache, 2, "the case's cached lookup dropped")
    assert ("registry", "CASE-SP-10") in lookups._cache          # a case nobody paid stays cached
    client.close()
