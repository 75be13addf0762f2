"""kill -9 at every step of a void, with real processes: a headless agent, the ZVT simulator on
a pty keeping its ledger, mosquitto and an acking peer.

The agent takes a card payment, then a void of it approved by a supervisor, and SIGKILLs
itself at one step (CP_CRASH_AT).  After the restart (recovery before new work): the
terminal reversed the payment at most once, the agent knows exactly what it did (a void
it sent is approved, one it never sent is aborted and can be done again, once), the
payment.voided event is in the outbox once and reaches the peer under one message id,
the void receipt came out, and a second void is refused.
"""

from __future__ import annotations

import signal

import pytest
from argon2 import PasswordHasher

from agent.store import Store, desk_operators

from tests.agent.agent_process import AgentProcess, query
from tests.agent.conftest import write_config
from tests.support.waiting import wait_until

POINTS = ["void_after_intent", "void_after_approval", "void_after_commit", "void_after_receipt"]
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
SAM = {"username": "sam", "role": "supervisor", "verifier": FAST.hash("731904"), "changed_at": "2026-12-01T08:00:00Z"}


def void_line(process: AgentProcess, receipt_id: str) -> None:
    process.process.stdin.write('{"void": "%s", "reason": "wrong amount", "supervisor": "sam", '
                                '"secret": "731904"}\n' % receipt_id)
    process.process.stdin.flush()


def reversals(sim) -> list[dict]:
    return [r for r in sim.charges() if r["kind"] == "reversal"]


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_at_each_step_of_a_void_never_reverses_twice_and_never_loses_one(point, tmp_path, mosquitto, peer,
                                                                                zvt_sim, keys):
    config = write_config(tmp_path, keys, broker=mosquitto.url, device=zvt_sim.device, ack_timeout_s=2)
    db = tmp_path / "data" / "agent.db"
    store = Store.open(db)
    desk_operators.replace(store, [SAM], "2026-12-04T08:00:00.000Z")
    store.close()

    doomed = AgentProcess(config, crash_at=point)
    assert doomed.next("ready") is not None, doomed.stderr()
    wait_until(lambda: any(s["type"] == "birth" for s in peer.state_history), 10, "the agent's birth message")
    doomed.pay(1500, case_ref="WAW/2026/1")
    paid = doomed.next("outcome")
    assert paid["outcome"] == "approved", paid
    void_line(doomed, paid["receipt_id"])
    assert doomed.wait_killed() == -signal.SIGKILL, f"the agent was not killed at {point}"

    survivor = AgentProcess(config)
    try:
        ready = survivor.next("ready")
        assert ready is not None, survivor.stderr()
        assert ready["open_payments"] == [], "recovery must settle the void before new work"
        (state,) = query(db, "SELECT state FROM journal WHERE kind = 'reversal'")[0]
        sent = point != "void_after_intent"
        assert state == ("approved" if sent else "aborted")       # what the terminal did, and nothing else
        assert len(reversals(zvt_sim)) == (1 if sent else 0)
        void_line(survivor, paid["receipt_id"])
        again = survivor.next("undo")
        if sent:
            assert (again["outcome"], again["reason"]) == ("refused", "already_voided"), again
        else:                                                     # never sent: the clerk may void it now, once
            assert again["outcome"] == "approved", again
        assert len(reversals(zvt_sim)) == 1
        wait_until(lambda: query(db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0] == 0, 15,
                   "no pending message in the outbox")
        voided = query(db, "SELECT payment_id FROM outbox WHERE type = 'payment.voided'")
        assert len(voided) == 1                                   # exactly once in the outbox
        void_ids = [m for _, m, _, body in peer.received if "voided_at" in body]
        assert len(set(void_ids)) == 1 and void_ids               # delivered, one message id
        unprinted = query(db, "SELECT COUNT(*) FROM journal WHERE state = 'approved' AND receipt_printed_at IS NULL")
        assert unprinted[0][0] == 0                               # the void receipt came out after the restart
        assert b"VOID RECEIPT" in (tmp_path / "receipts.bin").read_bytes()
        if point == "void_after_approval":
            (outcome,) = query(db, "SELECT outcome FROM journal WHERE kind = 'reversal' AND state = 'approved'")
            assert '"recovered": true' in outcome[0]
    finally:
        survivor.stop()
