"""Ingest through a real mosquitto: exactly once, acks after commit, duplicates, gaps,
presence, and bad messages dropped without blocking the stream."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from protocol.keys import SigningKey
from protocol.wire import make, verify
from protocol.wire import topics
from hub.ingest.worker import IngestWorker
from hub.store.tables import acks_sent, agents, events, payments
from tests.hub.agents import FakeAgent, WireClient
from tests.support.waiting import never_within, wait_until


@pytest.fixture
def worker(hub_context, mosquitto):
    ingest = IngestWorker(hub_context, host="127.0.0.1", port=mosquitto.port,
                          client_id=f"hub-{uuid.uuid4().hex[:6]}", clean_start=True,
                          session_expiry_s=0, gap_grace_s=0.3).start()
    yield ingest
    ingest.stop()


def _rows(db, table):
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def rejected(reason: str) -> float:
    return REGISTRY.get_sample_value("counterpay_hub_ingest_rejected_total", {"reason": reason}) or 0.0


def test_payment_is_stored_once_and_acked_with_the_hubs_signature(hub_context, directory, worker, mosquitto):
    agent = FakeAgent("counter-1").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-1", [agent.agent_id])
    event = agent.payment(2500, case_ref="CASE-7")
    client.send(event)
    wait_until(lambda: client.acks(agent.agent_id), 10, "the hub's ack")
    [message] = client.ack_messages(agent.agent_id)
    assert (message.type, message.agent) == ("acks", agent.agent_id)
    assert message.body["acks"] == [{"for_id": event.id, "for_seq": event.seq, "status": "stored"}]
    verify(message, hub_context.hub_entries(), owner="hub")
    with hub_context.db.connect() as conn:
        [stored_ack] = conn.execute(select(acks_sent)).mappings().all()
        [event_row] = conn.execute(select(events)).mappings().all()
    # The evidence of what the agent was told: the exact signed bytes, named by the event.
    assert (stored_ack["id"], stored_ack["envelope"].encode()) == (message.id, client.raw_acks(agent.agent_id)[0])
    assert event_row["ack"] == message.id
    stored = _rows(hub_context.db, payments)
    assert [(p["payment_id"], p["amount_minor"], p["linked_case_ref"]) for p in stored] == \
        [(event.body["payment_id"], 2500, "CASE-7")]
    client.close()


def test_a_duplicate_is_acked_again_and_is_not_stored_twice(hub_context, directory, worker, mosquitto):
    agent = FakeAgent("counter-2").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-2", [agent.agent_id])
    event = agent.payment()
    client.send(event)
    wait_until(lambda: len(client.raw_acks(agent.agent_id)) == 1, 10, "the first ack")
    client.send(event)
    client.send(event)
    wait_until(lambda: len(client.acks(agent.agent_id)) == 3, 10, "an ack for each of the three copies")
    for message in client.ack_messages(agent.agent_id):
        verify(message, hub_context.hub_entries(), owner="hub")
    first, second, third = client.acks(agent.agent_id)
    assert {(a["for_id"], a["for_seq"]) for a in (first, second, third)} == {(event.id, 1)}
    assert [a["status"] for a in (first, second, third)] == ["stored", "duplicate", "duplicate"]
    assert len(_rows(hub_context.db, events)) == 1
    assert len(_rows(hub_context.db, payments)) == 1
    client.close()


def test_a_sequence_gap_asks_the_agent_to_replay_from_the_first_missing(hub_context, directory, worker, mosquitto):
    agent = FakeAgent("counter-3").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-3", [agent.agent_id])
    first, second = agent.payment(), agent.payment()
    agent.payment(), agent.payment()          # seq 3 and 4 are "lost"
    fifth = agent.payment()
    for event in (first, second, fifth):
        client.send(event)
    wait_until(lambda: client.commands(agent.agent_id), 10, "a resend command for the gap")
    command = client.commands(agent.agent_id)[0]
    verify(command, hub_context.hub_entries(), owner="hub")
    assert (command.body["command"], command.body["from_seq"]) == ("replay", 3)
    with hub_context.db.connect() as conn:
        row = conn.execute(select(agents).where(agents.c.agent_id == agent.agent_id)).mappings().one()
    assert (row["contiguous_seq"], row["max_seq"]) == (2, 5)
    client.close()


def test_events_briefly_out_of_order_do_not_trigger_a_replay(hub_context, directory, worker, mosquitto):
    agent = FakeAgent("counter-9").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-9", [agent.agent_id])
    first, second = agent.payment(), agent.payment()
    client.send(second)
    client.send(first)            # within the grace period: two workers' normal interleaving
    wait_until(lambda: len(client.acks(agent.agent_id)) == 2, 10, "acks for both events")
    never_within(lambda: client.commands(agent.agent_id), 1.0, "resend command")
    client.close()


def test_a_stale_will_does_not_take_a_live_agent_offline(hub_context, directory, worker, mosquitto):
    agent = FakeAgent("counter-4").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-4", [agent.agent_id])
    state = topics.state(agent.agent_id)

    def presence():
        with hub_context.db.connect() as conn:
            return conn.execute(select(agents.c.online, agents.c.incarnation, agents.c.outbox_depth)
                                .where(agents.c.agent_id == agent.agent_id)).first()

    client.publish(state, agent.birth(7, outbox_depth=3).encode(), retain=True)
    wait_until(lambda: presence() == (True, 7, 3), 10, "incarnation 7 online with 3 queued")
    client.publish(state, agent.will(6).encode())                  # the previous connection's will, late
    client.publish(state, agent.birth(7, outbox_depth=0).encode(), retain=True)
    wait_until(lambda: presence() == (True, 7, 0), 10, "incarnation 7 online with 0 queued")
    client.publish(state, agent.will(7).encode())                  # this connection's own will
    wait_until(lambda: presence() is not None and presence()[0] is False, 10, "the agent offline after its own will")
    client.publish(state, agent.birth(7).encode(), retain=True)    # its retained birth, redelivered late
    client.publish(state, agent.birth(8, outbox_depth=1).encode(), retain=True)
    wait_until(lambda: presence() == (True, 8, 1), 10, "incarnation 8 online with 1 queued")
    client.close()


def test_bad_messages_are_dropped_with_a_reason_and_do_not_block_the_stream(hub_context, directory, worker,
                                                                              mosquitto):
    honest = FakeAgent("counter-5").enroll(directory)
    victim = FakeAgent("counter-6").enroll(directory)
    stranger = FakeAgent("counter-7")                                # never enrolled
    client = WireClient(mosquitto.port, "agent-counter-5", [honest.agent_id, victim.agent_id])
    before = {r: rejected(r) for r in ("signature_wrong_owner", "signature_forged", "oversized",
                                       "not_json", "unknown_type", "agent_mismatch", "not_enrolled")}
    # signed by counter-5 but claiming to be counter-6, on counter-6's topic
    forged_as_other = make(victim.agent_id, 1, "payment.captured", honest.payment().body, honest.key)
    client.publish(topics.events(victim.agent_id), forged_as_other.encode())
    tampered = victim.payment(100)
    body = tampered.encode().replace(b'"amount_minor":100', b'"amount_minor":9')
    client.publish(topics.events(victim.agent_id), body)
    unsigned = tampered.encode().replace(tampered.sig.encode(), b"")
    client.publish(topics.events(victim.agent_id), unsigned)
    client.publish(topics.events(victim.agent_id), b"{" + b" " * 70_000 + b"}")
    client.publish(topics.events(victim.agent_id), b"\xff not json")
    client.publish(topics.events(victim.agent_id), victim.payment().encode().replace(b"payment.captured", b"payment.stolen"))
    client.publish(topics.events(honest.agent_id), victim.payment().encode())
    client.publish(topics.events(stranger.agent_id), stranger.payment().encode())
    good = honest.payment(777)
    client.send(good)
    wait_until(lambda: client.acks(honest.agent_id), 10, "the honest agent's ack")
    assert [p["amount_minor"] for p in _rows(hub_context.db, payments)] == [777]
    assert client.acks(victim.agent_id) == []
    assert rejected("signature_wrong_owner") == before["signature_wrong_owner"] + 1
    assert rejected("signature_forged") == before["signature_forged"] + 2      # tampered, unsigned
    assert rejected("oversized") == before["oversized"] + 1
    assert rejected("not_json") == before["not_json"] + 1
    assert rejected("unknown_type") == before["unknown_type"] + 1
    assert rejected("agent_mismatch") == before["agent_mismatch"] + 1
    assert rejected("not_enrolled") == before["not_enrolled"] + 1
    client.close()


def test_the_fast_acks_message_is_byte_for_byte_the_wire_contracts_acks():
    from hub.ingest.store import sign_acks
    key = SigningKey.generate()
    agent = FakeAgent("counter-8")
    items = [{"for_id": e.id, "for_seq": e.seq, "status": s}
             for e, s in ((agent.payment(), "stored"), (agent.payment(), "duplicate"))]
    fast = sign_acks(agent.agent_id, items, key, "2026-11-22T12:00:00.000Z", "acks-1")
    reference = make(agent.agent_id, 0, "acks", {"acks": items}, key, message_id="acks-1",
                     time="2026-11-22T12:00:00.000Z").encode()
    assert fast == reference


def test_a_message_that_cannot_be_stored_is_quarantined_alone_and_the_rest_are_stored(hub_context, directory,
                                                                                      worker, mosquitto, monkeypatch):
    import hub.ingest.worker as worker_module
    real_store_batch = worker_module.store_batch

    def store_batch_with_a_bug(conn, events_, state, key, grace, refused=()):
        if any(envelope.body.get("amount_minor") == 666 for envelope, _ in events_):
            raise RuntimeError("a bug that only this payment triggers")
        return real_store_batch(conn, events_, state, key, grace, refused)

    monkeypatch.setattr(worker_module, "store_batch", store_batch_with_a_bug)
    monkeypatch.setattr(worker_module.time, "sleep", lambda _s: None)
    agent = FakeAgent("counter-10").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-10", [agent.agent_id])
    before = REGISTRY.get_sample_value("counterpay_hub_ingest_quarantined_total") or 0.0
    worker.batch_window_s = 0.3          # so the poison and the good ones share a batch
    sent = (agent.payment(1), agent.payment(666), agent.payment(3))
    for envelope in sent:
        client.send(envelope)
    wait_until(lambda: len(client.acks(agent.agent_id)) == 3, 10, "acks for all three events")
    statuses = {a["for_id"]: a["status"] for a in client.acks(agent.agent_id)}
    assert statuses == {sent[0].id: "stored", sent[1].id: "rejected", sent[2].id: "stored"}
    assert sorted(p["amount_minor"] for p in _rows(hub_context.db, payments)) == [1, 3]
    assert REGISTRY.get_sample_value("counterpay_hub_ingest_quarantined_total") == before + 1
    client.close()


def test_events_not_committed_when_a_hub_worker_dies_are_redelivered_to_its_successor(hub_context, directory,
                                                                                      mosquitto, monkeypatch):
    import hub.ingest.worker as worker_module
    real_store_batch = worker_module.store_batch

    def database_down(*_args):
        raise RuntimeError("database unreachable")

    agent = FakeAgent("counter-11").enroll(directory)
    monkeypatch.setattr(worker_module, "store_batch", database_down)
    monkeypatch.setattr(IngestWorker, "_database_answers", lambda _self: False)
    first = IngestWorker(hub_context, host="127.0.0.1", port=mosquitto.port, client_id="hub-crashy",
                         session_expiry_s=300).start()
    client = WireClient(mosquitto.port, "agent-counter-11", [agent.agent_id])
    events_sent = [agent.payment(10), agent.payment(20)]
    for envelope in events_sent:
        client.send(envelope)
    never_within(lambda: client.acks(agent.agent_id), 1.0, "ack")
    first.stop()                                   # dies without having committed or PUBACKed
    monkeypatch.setattr(worker_module, "store_batch", real_store_batch)
    second = IngestWorker(hub_context, host="127.0.0.1", port=mosquitto.port, client_id="hub-crashy",
                          session_expiry_s=0).start()
    try:
        wait_until(lambda: len(client.acks(agent.agent_id)) == 2, 10, "acks for both events")
        assert sorted(p["amount_minor"] for p in _rows(hub_context.db, payments)) == [10, 20]
    finally:
        second.stop()
        client.close()


def test_a_batch_whose_key_directory_cannot_be_read_waits_and_is_not_dropped(hub_context, directory, worker,
                                                                             mosquitto, monkeypatch):
    real = type(hub_context).key_directory
    failures = {"left": 3}

    def flaky_directory(self, *, refresh=False):
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database unreachable")
        return real(self, refresh=refresh)

    agent = FakeAgent("counter-12").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-12", [agent.agent_id])
    before = {reason: rejected(reason) for reason in ("check_failed", "not_enrolled")}
    monkeypatch.setattr(type(hub_context), "key_directory", flaky_directory)
    event = agent.payment(777)
    client.send(event)
    wait_until(lambda: client.acks(agent.agent_id), 15, "the hub's ack")
    assert failures["left"] == 0
    assert [a["status"] for a in client.acks(agent.agent_id)] == ["stored"]
    assert [p["amount_minor"] for p in _rows(hub_context.db, payments)] == [777]
    assert {reason: rejected(reason) for reason in before} == before
    client.close()
