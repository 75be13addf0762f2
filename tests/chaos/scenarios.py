"""What the chaos runs do to a site, sized by the caller (the short run in seconds, the long run in minutes).

Each function drives payments through the desk while it breaks one part, and leaves the
site running; the caller settles it (`desk.settle()`) and checks the invariants.
"""

from __future__ import annotations

import threading
import time

import httpx

from counterpay.site import SitePlan
from tests.chaos.desk import Desk, Life
from tests.support.waiting import wait_until

CRASH_POINTS = ("after_intent", "after_approval", "after_commit", "after_receipt", "during_publish", "after_puback")


def terminal_steps(cycles: int = 60) -> list[dict]:
    """The simulated terminal's steps: mostly approvals, and in every 80 requests one lost
    answer, one cable pull, one decline and one terminal that stays silent."""
    cycle = [{"action": "approve"}] * 80
    cycle[17] = {"action": "lose_answer"}
    cycle[38] = {"action": "cable_pull"}
    cycle[55] = {"action": "decline", "result_code": "05"}
    cycle[71] = {"action": "no_answer"}
    return cycle * cycles


def site_plan(relay_port: int, agent_id: str = "chaos-desk-1") -> SitePlan:
    return SitePlan(agent_id=agent_id, office="chaos-office", terminal_steps=terminal_steps(),
                    terminal_t4_s=1.0, agent_broker_port=relay_port, printer=True,
                    case_patterns=[{"on": "case_ref", "regex": "DEMO-.+"}])


def crash_point_rounds(desk: Desk, rounds: int, payments_per_life: int = 4, max_passes: int = 1) -> int:
    """Every crash point, `rounds` times, letting it pass 0-max_passes times first: the agent kills
    itself at that step of a payment (or of its sync) and the next life recovers."""
    fired = 0
    for _ in range(rounds):
        for point in CRASH_POINTS:
            life = desk.life(crash_at=point, crash_after=desk.rng.randint(0, max_passes))
            # after_intent fires on card payments only; the later points on cash too, and a
            # cash payment needs no terminal, so half of those lives pay cash (quicker lives).
            tender = "card" if point in ("after_intent", "after_approval") or desk.rng.random() < 0.5 else "cash"
            # The sync points fire on the (N+1)th publish: give those lives a few more payments.
            extra = 3 if point in ("during_publish", "after_puback") else 0
            desk.pay(life, payments_per_life + extra, tender=tender)
            if extra and not life.dead.is_set():
                life.dead.wait(2.0)     # let it connect and sync what it took: the point may fire then
                desk.judge_death(life)
            if life.dead.is_set() and not life.killed_by_us:
                fired += 1
            else:
                desk.external_kill(life)    # the point was not reached in time: still a kill -9
    return fired


def random_kills(desk: Desk, kills: int, max_delay_s: float = 0.9, payments_per_life: int = 12) -> int:
    """kill -9 from outside at a random moment of a life: during start-up recovery and
    re-sending, with a payment in flight, or between payments while it syncs."""
    before = sum(desk.tally.external_kills.values())
    for _ in range(kills):
        life = desk.life()
        # Mostly within the first moments (start-up recovery, the first payments); one life in
        # five lives longer, so kills also land deep in a stream of payments.
        delay = desk.rng.uniform(0.01, max_delay_s) if desk.rng.random() < 0.8 else \
            desk.rng.uniform(max_delay_s, 4 * max_delay_s)
        desk.pay(life, payments_per_life, kill_after_s=delay)
    return sum(desk.tally.external_kills.values()) - before


class Stream:
    """Payments one after another in the background, across agent lives, until stopped."""

    def __init__(self, desk: Desk, life: Life, pause_s: float = 0.05):
        self.desk, self.life, self.pause_s = desk, life, pause_s
        self.stop_flag = threading.Event()
        self.answered = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop_flag.is_set():
                life = self.life
                if life.dead.is_set():
                    time.sleep(0.05)
                    continue
                self.answered += self.desk.pay(life, 1, pause_s=self.pause_s)
        except BaseException as exc:     # surfaced by stop(): a stuck agent must fail the test
            self.error = exc

    def switch(self, life: Life) -> None:
        self.life = life

    def stop(self) -> int:
        self.stop_flag.set()
        self.thread.join(120)
        if self.error is not None:
            raise AssertionError(f"the payment stream failed: {self.error}") from self.error
        return self.answered


def answered_during(stream: Stream, seconds: float) -> int:
    before = stream.answered
    time.sleep(seconds)
    return stream.answered - before


def broker_and_hub_restarts(desk: Desk, rounds: int, down_s: float) -> dict:
    """Broker killed (-9) and restarted, broker stopped cleanly, hub killed (-9) and restarted,
    the agent killed while the broker is down: all during a stream of payments through the
    real `counterpay agent run` command.  Returns payments answered while the broker was down."""
    site = desk.site
    offline = 0
    stream = Stream(desk, desk.life(real=True))
    try:
        for i in range(rounds):
            time.sleep(0.5)
            site.stop_broker(hard=(i % 2 == 0))
            desk.tally.restarts["broker"] += 1
            offline += answered_during(stream, down_s / 2)
            desk.external_kill(stream.life)              # the desk dies while offline too
            stream.switch(desk.life(real=True))
            offline += answered_during(stream, down_s / 2)
            site.start_broker()
            time.sleep(0.5)
            site.kill_hub()
            desk.tally.restarts["hub"] += 1
            time.sleep(down_s / 2)
            site.start_hub()
    finally:
        stream.stop()
    return {"answered_while_broker_down": offline}


def network_cut(desk: Desk, cut_s: float, rounds: int = 1, kills_during_cut: int = 1) -> dict:
    """The agent's own line is cut (a silent drop, then a reset) while the hub and broker run on;
    payments go on offline; the agent is killed during a cut and restarts offline."""
    relay = desk.relay
    offline = 0
    stream = Stream(desk, desk.life())
    try:
        for _ in range(rounds):
            time.sleep(0.5)
            relay.cut("drop")
            desk.tally.faults["network cut (silent drop)"] += 1
            for _ in range(kills_during_cut):
                offline += answered_during(stream, cut_s / 2 / kills_during_cut)
                desk.external_kill(stream.life)
                stream.switch(desk.life())
            offline += answered_during(stream, cut_s / 2)
            relay.heal()
            time.sleep(0.5)
            relay.cut("reset")
            desk.tally.faults["network cut (reset)"] += 1
            offline += answered_during(stream, cut_s / 2)
            relay.heal()
    finally:
        relay.heal()
        stream.stop()
    return {"answered_while_cut": offline}


def case_system_faults(desk: Desk, hold_s: float, slow_s: float = 1.5) -> dict:
    """The case system down (503), answering 500, slow, gone (410: the hub disables it until an
    admin enables it again), and its process killed and restarted, while payments go on."""
    site = desk.site
    stream = Stream(desk, desk.life(), pause_s=0.1)
    try:
        for mode, options in (("down", {"for_s": hold_s, "retry_after": 1}),
                              ("fail", {"status": 500, "count": 4}),
                              ("slow", {"delay_s": slow_s, "for_s": hold_s}),
                              ("fail", {"status": 502, "count": 3, "retry_after": 1})):
            site.case_fault(mode, **options)
            desk.tally.faults[f"case system {mode} {options.get('status', '')}".strip()] += 1
            time.sleep(hold_s + 0.5)
            # A fault for the next N webhooks lasts until they came.
            wait_until(lambda: _case_state(desk)["mode"]["mode"] == "ok", 30, "the case-system fault to be used up",
                       poll_s=0.2, detail=lambda: f"case system state: {_case_state(desk)}")
        site.case_fault("gone", count=1)
        desk.tally.faults["case system gone (410)"] += 1
        wait_until(lambda: _case_system_disabled(desk), hold_s * 4,
                   "the hub to disable the case system after it answered 410", poll_s=0.2)
        time.sleep(hold_s / 2)                     # confirmations wait, visibly, while it is disabled
        desk.enable_case_system()
        site.stop_case_system(hard=True)
        desk.tally.restarts["case-system"] += 1
        time.sleep(hold_s)
        site.start_case_system()
        time.sleep(0.5)
    finally:
        stream.stop()
        _restore_case_system(desk)
    answers = {}
    for record in site.case_record():
        answers[record.get("answered")] = answers.get(record.get("answered"), 0) + 1
    return {"case_system_answers": answers}


def _restore_case_system(desk: Desk) -> None:
    """Whatever happened above: the case system running, answering, and enabled at the hub,
    so one failed phase does not leave the next tests' confirmations parked."""
    site = desk.site
    if "case-system" not in site.children or not site.children["case-system"].alive():
        site.start_case_system()
    site.case_fault("ok")
    desk.enable_case_system()


def _case_state(desk: Desk) -> dict:
    return httpx.get(f"{desk.site.case_url}/admin/state", timeout=10).json()


def _case_system_disabled(desk: Desk) -> bool:
    from counterpay.site import CASE_SYSTEM
    systems = desk.site.api_json("GET", "/api/v1/case-systems")
    rows = systems["case_systems"] if isinstance(systems, dict) else systems
    return any(r["name"] == CASE_SYSTEM and not r["enabled"] for r in rows)


VOID_POINTS = ("void_after_intent", "void_after_approval", "void_after_commit", "void_after_receipt")
SUPERVISOR = ("chaos-sup", "731904")


def ensure_supervisor(desk: Desk, timeout_s: float = 60.0) -> None:
    """A supervisor of the chaos office at the hub, in the roster the desk holds (once per site)."""
    from counterpay.site_operators import _hub_user
    name, pin = SUPERVISOR
    if not desk.supervisor_ready:
        made = _hub_user(desk.site, "create", "--username", name, "--role", "supervisor", "--office",
                         desk.site.plan.office, "--password-stdin", stdin="a long console password\n")
        assert made.returncode == 0 or "exists" in made.stderr, made.stderr
        pinned = _hub_user(desk.site, "set-pin", "--username", name, "--pin-stdin", stdin=f"{pin}\n")
        assert pinned.returncode == 0, pinned.stderr
    life = desk.life()
    wait_until(lambda: desk.roster_lists(name), timeout_s, "the supervisor in the desk's roster", poll_s=0.3)
    life.stop()
    desk.supervisor_ready = True


def void_rounds(desk: Desk, rounds: int, max_passes: int = 0) -> int:
    """Every crash point of a void, `rounds` times: a life pays one card payment, then voids it
    with the supervisor's PIN and kills itself at that step (CP_CRASH_AT); the next life
    recovers.  The terminal's scenario loses answers and pulls the cable for voids too."""
    ensure_supervisor(desk)
    fired = 0
    for _ in range(rounds):
        for point in VOID_POINTS:
            # A clean life first settles the previous void (recovery, its receipt), so this
            # life's point fires in its own void, not in the recovery of the last one.
            clean = desk.life()
            wait_until(lambda c=clean: c.ready.is_set() or c.dead.is_set(), 60, "a clean life to say ready")
            life = desk.life(crash_at=point, crash_after=desk.rng.randint(0, max_passes))
            for _ in range(max_passes + 1):
                outcome = desk.pay_one(life, tender="card")
                if outcome is None or life.dead.is_set():
                    break
                if outcome.get("outcome") == "approved":
                    desk.void(life, outcome["receipt_id"])
                if life.dead.is_set():
                    break
            life.dead.wait(2.0)
            desk.judge_death(life)
            if life.dead.is_set() and not life.killed_by_us:
                fired += 1
            else:
                desk.external_kill(life)    # the point was not reached (a void declined, say): still a kill -9
    return fired
