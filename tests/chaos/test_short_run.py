"""The short fault-injection run (default tests): one real office site, hundreds of kill -9.

The site is real processes (counterpay.site): mosquitto with the hub's TLS configuration,
`hub serve`, the case-system simulator, the ZVT terminal simulator on a pty whose scenario
loses an answer, pulls the cable, declines and stays silent every 80 requests, and a
headless agent taking a stream of card and cash payments.  After every test the site is
settled (a clean agent life, everything at the hub and delivered) and the invariants are
checked from the parts' own records (tests/chaos/invariants.py).  Tests run in file order
on one site; each one's invariants cover everything paid so far.
"""

from __future__ import annotations

import pytest

from tests.chaos import scenarios

pytestmark = pytest.mark.timeout(400)


def _assert_invariants(desk, timeout_s: float = 90.0):
    report = desk.settle(timeout_s)
    assert report.ok, report.render()
    assert report.counts["approved"] > 0
    return report


def test_kill_9_at_every_crash_point_of_the_payment_life(desk):
    before = desk.tally.kill_points
    fired = scenarios.crash_point_rounds(desk, rounds=17)
    assert desk.tally.kill_points - before == 17 * len(scenarios.CRASH_POINTS)      # 102 kill -9
    # The sync points need N+1 publishes within one life: not every life gets there (it is
    # then killed from outside instead); each point must still have fired several times.
    assert fired >= 0.6 * 17 * len(scenarios.CRASH_POINTS), desk.tally.figures()
    assert all(desk.tally.crash_points[p] >= 4 for p in scenarios.CRASH_POINTS), desk.tally.figures()
    _assert_invariants(desk)


def test_kill_9_from_outside_at_random_moments(desk):
    kills = scenarios.random_kills(desk, kills=110, max_delay_s=0.6)
    assert kills >= 100, desk.tally.figures()       # with the crash points' 102: over 200 kill -9
    phases = desk.tally.external_kills
    assert phases["payment in flight"] >= 20 and phases["start-up (recovery, re-send)"] >= 5, dict(phases)
    _assert_invariants(desk)


def test_broker_and_hub_killed_and_restarted_mid_stream(desk):
    seen = scenarios.broker_and_hub_restarts(desk, rounds=2, down_s=3.0)
    assert seen["answered_while_broker_down"] > 0, "the desk must keep taking payments while the broker is down"
    _assert_invariants(desk, timeout_s=120)


def test_agent_network_cut(desk):
    seen = scenarios.network_cut(desk, cut_s=4.0)
    assert seen["answered_while_cut"] > 0, "the desk must keep taking payments while its network is cut"
    _assert_invariants(desk, timeout_s=120)


def test_case_system_down_failing_slow_gone_and_restarted(desk):
    seen = scenarios.case_system_faults(desk, hold_s=2.0)
    answers = seen["case_system_answers"]
    for status in (500, 502, 503, 410):       # the faults really reached the hub's deliveries
        assert answers.get(status, 0) > 0, answers
    _assert_invariants(desk, timeout_s=120)


def _charged_by_step(desk) -> dict[str, int]:
    charged: dict[str, int] = {}
    for record in desk.site.terminal_ledger():
        if record.get("record") == "request" and record.get("charged"):
            charged[record["step"]] = charged.get(record["step"], 0) + 1
    return charged


def test_terminal_lost_answers_and_cable_pulls_were_recovered(desk):
    # The terminal loses one answer and has its cable pulled once in every 80 requests
    # (scenarios.terminal_steps); where this module's other tests left the cycle is not known,
    # so the desk pays until two of each were charged (at most 240 payments: three cycles).
    life = desk.life()
    for _ in range(4):
        desk.pay(life, 60)
        charged = _charged_by_step(desk)
        if charged.get("lose_answer", 0) >= 2 and charged.get("cable_pull", 0) >= 2:
            break
    report = _assert_invariants(desk)
    # Charged while the agent never got (the whole of) the answer: each one was found by
    # status enquiry and recorded once, never charged again (the invariants above).
    assert charged.get("lose_answer", 0) >= 2 and charged.get("cable_pull", 0) >= 2, charged
    assert report.counts["card_charges"] >= 50


def test_kill_9_at_every_step_of_a_void_never_reverses_twice_and_never_loses_one(desk):
    before = desk.tally.crash_points.copy()
    fired = scenarios.void_rounds(desk, rounds=2)
    kills = {p: desk.tally.crash_points[p] - before[p] for p in scenarios.VOID_POINTS}
    # A void the terminal declines or never hears of (the scenario's faults) stops short of
    # the later points: that life is killed from outside instead; most points must fire.
    assert fired >= 6, (kills, desk.tally.figures())
    report = _assert_invariants(desk)
    assert report.counts["voids_approved"] >= 4, report.render()
