"""Slow soak: many lives of one agent, each killed at a random step; the guarantees hold at the end.

Run with `pytest -m slow tests/agent/test_chaos.py` (excluded from the default run).
"""

from __future__ import annotations

import json
import random

import pytest

from tests.agent.agent_process import AgentProcess, query
from tests.agent.conftest import write_config
from tests.support.waiting import wait_until
from tests.agent.test_crash import POINTS


@pytest.mark.slow
def test_many_random_kills_leave_every_charge_recorded_once_and_delivered_once(tmp_path, mosquitto, peer,
                                                                               zvt_sim, keys):
    rng = random.Random(20261122)
    config = write_config(tmp_path, keys, broker=mosquitto.url, device=zvt_sim.device, ack_timeout_s=2)
    db = tmp_path / "data" / "agent.db"
    for life in range(25):
        point = rng.choice(POINTS)
        agent = AgentProcess(config, crash_at=point, crash_after=rng.randint(0, 2))
        if agent.next("ready") is None:
            continue                                   # died at `point` during start-up recovery: fine
        for n in range(rng.randint(1, 4)):
            agent.pay(100 + life * 10 + n, tender=rng.choice(["card", "card", "cash"]))
            if agent.next("outcome", 20) is None:
                break                                  # it died at `point`
        agent.stop()
    survivor = AgentProcess(config)
    try:
        assert survivor.next("ready") is not None
        # A terminal still busy with a killed conversation may leave an intent unknown at
        # start-up; the next card payment asks it again first.
        survivor.pay(999)
        last = survivor.next("outcome", 30)
        assert last is not None and last["outcome"] == "approved", last
        still_open = query(db, "SELECT intent_id, state, outcome FROM journal WHERE state IN "
                               "('intent', 'sent', 'unknown', 'operator_check')")
        assert still_open == [], json.dumps(still_open, indent=1)
        wait_until(lambda: query(db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0] == 0, 60,
                   "no pending message in the outbox")
        approved_card = query(db, "SELECT COUNT(*) FROM journal WHERE state = 'approved' AND tender = 'card'")[0][0]
        assert approved_card == len(zvt_sim.charges())                       # no charge twice, none lost
        approved = {r[0] for r in query(db, "SELECT intent_id FROM journal WHERE state = 'approved'")}
        in_outbox = query(db, "SELECT payment_id, COUNT(*) FROM outbox WHERE type = 'payment.captured' "
                              "GROUP BY payment_id")
        assert {r[0] for r in in_outbox} == approved and all(c == 1 for _, c in in_outbox)
        assert set(peer.payments()) == approved
    finally:
        survivor.stop()
