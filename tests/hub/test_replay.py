"""Replaying every message three times, shuffled, across reconnects of both the agent
and the hub, leaves exactly the state one clean delivery leaves."""

from __future__ import annotations

import random
import uuid

from sqlalchemy import select

from protocol.wire import make
from hub.config import Settings
from hub.context import HubContext
from hub.ingest.worker import IngestWorker
from hub.orders.service import OrderRequest, create_order
from hub.store.db import Database
from hub.store.tables import agents, events, payments, voids
from tests.hub.agents import FakeAgent, WireClient
from tests.support.waiting import wait_until


def _traffic(directory) -> tuple[list, list[FakeAgent]]:
    fleet = [FakeAgent(f"replay-{n}").enroll(directory) for n in range(3)]
    messages = []
    for agent in fleet:
        for n in range(8):
            reference = {"format": "rf", "value": "RF18539007547034"} if n % 3 == 0 else {"format": "none"}
            messages.append(agent.payment(1000 + n, reference=reference, case_ref=f"CASE-{n}" if n % 2 else None))
        messages.append(agent.void(f"{agent.agent_id}-p2", 1002))
        agent.seq += 1
        messages.append(make(agent.agent_id, agent.seq, "eod.report",
                             {"batch_id": "b1", "currency": "EUR", "journal": {"card": {"count": 8, "total_minor": 8028}},
                              "mismatch": False, "closed_at": "2026-11-22T18:00:00Z"}, agent.key,
                             message_id=f"{agent.agent_id}-eod"))
    return messages, fleet


def _snapshot(db: Database) -> dict:
    with db.connect() as conn:
        return {
            "events": sorted((r.agent_id, r.message_id, r.seq, r.type, r.envelope)
                             for r in conn.execute(select(events))),
            "payments": sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k not in ("id", "received_at")))
                               for r in conn.execute(select(payments)).mappings()),
            "voids": sorted(tuple(r) for r in conn.execute(select(voids))),
            "agents": sorted((r.agent_id, r.contiguous_seq, r.max_seq) for r in conn.execute(select(agents))),
        }


def _deliver(context: HubContext, port: int, piece: list, agent_ids: list[str], hub_id: str,
             session_expiry_s: int) -> None:
    """One connection of the agents and one run of the hub worker (same id, resumed
    session); returns when every message is acked."""
    worker = IngestWorker(context, host="127.0.0.1", port=port, client_id=hub_id,
                          session_expiry_s=session_expiry_s).start()
    client = WireClient(port, f"agent-{uuid.uuid4().hex[:6]}", agent_ids)
    for envelope in piece:
        client.send(envelope)
    wait_until(lambda: sum(len(client.acks(a)) for a in agent_ids) >= len(piece), 20, f"acks for all {len(piece)} events")
    client.close()
    worker.stop()


def test_three_shuffled_replays_across_reconnects_equal_one_clean_delivery(hub_context, directory, mosquitto,
                                                                          tmp_path):
    messages, fleet = _traffic(directory)
    agent_ids = [a.agent_id for a in fleet]
    # The order exists before the payments in both runs, so RF payments link to it.
    clean_db = Database.open(f"sqlite:///{tmp_path / 'clean.db'}")
    clean = HubContext(Settings(database_url=clean_db.url, data_dir=tmp_path), clean_db, hub_context.order_key,
                       hub_context.event_key, static_directory=directory, directory_ttl_s=0)
    for context in (clean, hub_context):
        with context.db.begin() as conn:
            create_order(conn, OrderRequest(amount_minor=3000, currency="EUR", reference_format="rf",
                                            case_ref="CASE-RF"), context.settings, "test",
                         order_id="539007547034")
    _deliver(clean, mosquitto.port, messages, agent_ids, "hub-clean", 0)
    expected = _snapshot(clean_db)
    assert len(expected["events"]) == len(messages)

    rng = random.Random(5)
    replayed = messages * 3
    rng.shuffle(replayed)
    # cut into uneven pieces: every piece goes through a new agent connection and a new hub worker
    cuts = sorted(rng.sample(range(1, len(replayed)), 4))
    rounds = [replayed[a:b] for a, b in zip([0] + cuts, cuts + [len(replayed)], strict=True)]
    for piece in rounds:
        _deliver(hub_context, mosquitto.port, piece, agent_ids, "hub-replay", 600)
    assert _snapshot(hub_context.db) == expected
    voided = [p for p in expected["payments"] if ("void_reason", "clerk error") in p]
    assert len(voided) == 3
    linked = [p for p in expected["payments"] if ("linked_order_id", "539007547034") in p]
    assert len(linked) == 9
