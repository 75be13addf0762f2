"""kill -9 between every step of the payment life, with real processes all round.

A headless agent process takes a card payment from `counterpay sim terminal --protocol zvt
--pty --record LEDGER` and syncs through a real mosquitto to an acking peer.  CP_CRASH_AT
makes it SIGKILL itself at one step.  After a restart (recovery runs before new work):
every approved payment is in the outbox exactly once, reaches the peer as one message id,
and the terminal's ledger shows no intent charged twice.
"""

from __future__ import annotations

import signal

import pytest

from tests.agent.agent_process import AgentProcess, query
from tests.agent.conftest import write_config
from tests.support.waiting import wait_until

POINTS = ["after_intent", "after_approval", "after_commit", "after_receipt", "during_publish", "after_puback"]


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_at_each_step_loses_nothing_and_charges_once(point, tmp_path, mosquitto, peer, zvt_sim, keys):
    config = write_config(tmp_path, keys, broker=mosquitto.url, device=zvt_sim.device, ack_timeout_s=2)
    db = tmp_path / "data" / "agent.db"
    if point == "after_puback":
        peer.hold_acks = True     # the hub's ack must not beat the PUBACK

    doomed = AgentProcess(config, crash_at=point)
    assert doomed.next("ready") is not None, doomed.stderr()
    # Connected (its will is registered at the broker) before it is made to die.
    wait_until(lambda: any(s["type"] == "birth" for s in peer.state_history), 10, "the agent's birth message")
    doomed.pay(1500, case_ref="WAW/2026/1")
    assert doomed.wait_killed() == -signal.SIGKILL, f"the agent was not killed at {point}"
    peer.hold_acks = False

    survivor = AgentProcess(config)
    try:
        ready = survivor.next("ready")
        assert ready is not None, survivor.stderr()
        assert ready["open_payments"] == [], "recovery must settle every open intent before new work"
        survivor.pay(2700, case_ref="WAW/2026/2")
        second = survivor.next("outcome")
        assert second["outcome"] == "approved", second
        wait_until(lambda: query(db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0] == 0, 15,
                   "no pending message in the outbox")

        approved = query(db, "SELECT intent_id FROM journal WHERE state = 'approved'")
        rows = query(db, "SELECT payment_id, COUNT(*) FROM outbox WHERE type = 'payment.captured' "
                         "GROUP BY payment_id")
        charges = zvt_sim.charges()
        # Killed before the terminal heard of it: recovery finds nothing charged.
        first_charged = point != "after_intent"
        assert len(charges) == (2 if first_charged else 1)
        assert len(approved) == len(charges)                       # no charge unrecorded, none twice
        assert sorted(r[0] for r in rows) == sorted(a[0] for a in approved)
        assert all(count == 1 for _, count in rows)                # exactly once in the outbox
        assert sorted(peer.payments()) == sorted(a[0] for a in approved)   # delivered, one id each
        per_payment = {}
        for _, message_id, _, body in peer.received:
            per_payment.setdefault(body["payment_id"], set()).add(message_id)
        assert all(len(ids) == 1 for ids in per_payment.values())   # re-sends reuse the id
        unprinted = query(db, "SELECT COUNT(*) FROM journal WHERE state = 'approved' AND receipt_printed_at IS NULL")
        assert unprinted[0][0] == 0                                 # missed receipts printed at start-up
        if point == "after_approval":
            recovered = query(db, "SELECT outcome FROM journal WHERE state = 'approved' ORDER BY created_at")
            assert '"recovered": true' in recovered[0][0]
        kinds = [(s["type"], s["incarnation"]) for s in peer.state_history]
        assert ("will", 1) in kinds and ("birth", 2) in kinds
    finally:
        survivor.stop()


def test_terminal_unplugged_at_restart_keeps_the_intent_open_until_it_answers(tmp_path, keys):
    from agent.config import load
    from agent.payments import PaymentRequest
    from agent.service import AgentService
    from tests.agent.conftest import TerminalSim

    link = tmp_path / "ttyTERMINAL"
    (tmp_path / "sim").mkdir()
    sim = TerminalSim(tmp_path / "sim", link=link)
    try:
        config = write_config(tmp_path, keys, device=str(link))
        doomed = AgentProcess(config, crash_at="after_approval")
        assert doomed.next("ready") is not None
        doomed.pay(1500)
        assert doomed.wait_killed() == -signal.SIGKILL
        unplugged = tmp_path / "ttyTERMINAL.unplugged"
        link.rename(unplugged)                                   # the cable is out
        service = AgentService.open(load(config))
        try:
            assert service.status().terminal_state == "unknown outcome"
            assert [p["state"] for p in service.open_payments()] == ["sent"]
            refused = service.pay(PaymentRequest(900, "EUR", "card"))
            assert refused.outcome == "refused" and "unknown outcome" in refused.message
            assert service.outbox.depth() == 0 and len(sim.charges()) == 1
            unplugged.rename(link)                               # plugged back in
            later = service.pay(PaymentRequest(900, "EUR", "card"))
            assert later.outcome == "approved", later.message
            assert service.open_payments() == []
            assert service.outbox.depth() == 2 and len(sim.charges()) == 2   # the first found, not re-sent
        finally:
            service.close()
    finally:
        sim.stop()


def test_terminal_gone_mid_session_is_a_clear_message_and_comes_back(tmp_path, keys):
    from agent.config import load
    from agent.payments import PaymentRequest
    from agent.service import AgentService
    from tests.agent.conftest import TerminalSim

    link = tmp_path / "ttyTERMINAL"
    for name in ("sim1", "sim2"):
        (tmp_path / name).mkdir()
    first = TerminalSim(tmp_path / "sim1", link=link)
    service = AgentService.open(load(write_config(tmp_path, keys, device=str(link))))
    try:
        assert service.pay(PaymentRequest(500, "EUR", "card")).outcome == "approved"
        first.stop()                                              # unplugged
        gone = service.pay(PaymentRequest(600, "EUR", "card"))
        # The request may have left before the line died: unknown, and never re-sent.
        assert gone.outcome == "unknown" and "Do not retry" in gone.message, gone
        assert service.status().terminal_state == "unknown outcome"
        refused = service.pay(PaymentRequest(650, "EUR", "card"))
        assert refused.outcome == "refused" and "unknown outcome" in refused.message
        second = TerminalSim(tmp_path / "sim2", link=link)        # plugged back in
        try:
            back = service.pay(PaymentRequest(700, "EUR", "card"))   # asks about 600 first
            assert back.outcome == "approved", back.message
            assert service.open_payments() == []
            assert service.journal_entry(gone.payment_id)["state"] == "aborted"
            assert len(first.charges()) + len(second.charges()) == 2 and service.outbox.depth() == 2
        finally:
            second.stop()
    finally:
        service.close()


@pytest.mark.parametrize("point, expected", [("after_intent", "aborted"), ("after_approval", "operator_check")])
def test_concert_after_a_kill_settles_what_it_can_and_shows_the_operator_the_rest(point, expected, tmp_path, keys):
    from agent.config import load
    from agent.service import AgentService
    from tests.agent.conftest import TerminalSim

    (tmp_path / "sim").mkdir()
    sim = TerminalSim(tmp_path / "sim", protocol="concert")
    try:
        config = write_config(tmp_path, keys, device=sim.device, protocol="concert")
        doomed = AgentProcess(config, crash_at=point)
        assert doomed.next("ready") is not None
        doomed.pay(1900)
        assert doomed.wait_killed() == -signal.SIGKILL
        service = AgentService.open(load(config))
        try:
            (entry,) = service.recent_payments()
            assert entry["state"] == expected
            if expected == "aborted":            # never reached the terminal: nothing to ask anyone
                assert service.open_payments() == [] and sim.charges() == []
                return
            # Concert cannot be asked: the charge stays in doubt, visible, until a person reads the terminal.
            assert [p["payment_id"] for p in service.open_payments()] == [entry["payment_id"]]
            assert service.status().terminal_state == "unknown outcome" and service.outbox.depth() == 0
            settled = service.resolve_operator_check(entry["payment_id"], charged=True, operator="anna")
            assert settled.outcome == "approved" and service.outbox.depth() == 1
            assert len(sim.charges()) == 1 and service.open_payments() == []
        finally:
            service.close()
    finally:
        sim.stop()
