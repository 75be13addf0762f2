"""The chaos harness: one office desk on a `counterpay.site.Site`, its agent's lives, kills and tallies.

    desk = Desk.open(site, relay)             # starts the pre-loaded agent launcher (tests/chaos/zygote.py)
    life = desk.life(crash_at="after_commit", crash_after=2)   # CP_CRASH_AT: the agent kills itself there
    desk.pay(life, 10)                        # payments one after another until 10 outcomes or its death
    life = desk.life(); desk.pay(life, 5, kill_after_s=0.3)   # a kill -9 from outside at a random moment
    report = desk.settle()                    # a clean life, everything synced and delivered, then the invariants

Every payment has its own amount (the terminal's ledger is matched to intents by amount)
and its own case reference (so one confirmation stuck in retries does not hold others back
by per-case order).  `Tally` counts what was done to the site: the figures a run reports.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from counterpay.site import Site
from counterpay.site_process import Child
from tests.chaos.invariants import Report, check, evidence_from_site
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Tally:
    crash_points: Counter = field(default_factory=Counter)     # CP_CRASH_AT point -> kills it caused
    external_kills: Counter = field(default_factory=Counter)   # phase of the life -> kill -9 from outside
    lives: int = 0
    payments: int = 0                                          # requests answered with an outcome
    voids: int = 0                                             # void lines answered
    outcomes: Counter = field(default_factory=Counter)
    restarts: Counter = field(default_factory=Counter)         # broker, hub, case-system, agent (real command)
    faults: Counter = field(default_factory=Counter)           # network cuts, case-system modes
    started: float = field(default_factory=time.monotonic)

    @property
    def kill_points(self) -> int:
        return sum(self.crash_points.values()) + sum(self.external_kills.values())

    def figures(self) -> dict:
        return {"kill_points": self.kill_points, "crash_point_kills": dict(self.crash_points),
                "external_kills": dict(self.external_kills), "agent_lives": self.lives,
                "payments_answered": self.payments, "voids_answered": self.voids, "outcomes": dict(self.outcomes),
                "restarts": dict(self.restarts), "faults": dict(self.faults),
                "seconds": round(time.monotonic() - self.started, 1)}


class Life:
    """One agent process: JSON lines in, events out (a reader thread), killable."""

    def __init__(self, pid: int, stdin, stdout, kill, crash_at: str | None = None, exit_code=None):
        self.pid, self.stdin, self.crash_at = pid, stdin, crash_at
        self._kill = kill
        self._exit_code = exit_code       # () -> the process's exit code once known, else None
        self.events: queue.Queue = queue.Queue()
        self.dead = threading.Event()
        self.ready = threading.Event()
        self.in_flight = False
        self.killed_by_us = False
        self.judged = False               # its death was counted (Desk.judge_death)
        threading.Thread(target=self._read, args=(stdout,), daemon=True).start()

    def _read(self, stdout) -> None:
        for raw in stdout:
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "ready":
                self.ready.set()
            self.events.put(event)
        self.dead.set()
        self.events.put({"event": "exit"})

    def send(self, request: dict) -> bool:
        try:
            self.stdin.write((json.dumps(request) + "\n").encode())
            self.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    def next(self, kinds: tuple[str, ...], timeout_s: float) -> dict | None:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if event["event"] in kinds or event["event"] == "exit":
                return event

    def exit_code(self, wait_s: float = 2.0) -> int | None:
        deadline = time.monotonic() + wait_s
        while True:
            code = self._exit_code() if self._exit_code else None
            if code is not None or time.monotonic() > deadline:
                return code
            time.sleep(0.02)

    def phase(self) -> str:
        if not self.ready.is_set():
            return "start-up (recovery, re-send)"
        return "payment in flight" if self.in_flight else "between payments (sync)"

    def kill(self) -> str | None:
        """kill -9 now; returns the phase it hit, None if it was already dead."""
        if self.dead.is_set():
            return None
        phase = self.phase()
        self.killed_by_us = True
        self._kill()
        self.dead.wait(10)
        return phase

    def stop(self) -> None:
        """SIGTERM: the agent closes its store and exits (a clean shutdown)."""
        if not self.dead.is_set():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if not self.dead.wait(15):
                self.kill()
        try:
            self.stdin.close()
        except OSError:
            pass


class Desk:
    def __init__(self, site: Site, zygote: Child, relay=None, seed: int | None = None):
        self.site, self.zygote, self.relay = site, zygote, relay
        self.socket_path = site.workdir / "zygote.sock"
        self.tally = Tally()
        self.seed = seed
        self.rng = random.Random(seed)
        self.next_amount = 10_000
        self.current: Life | None = None
        self.supervisor_ready = False      # scenarios.ensure_supervisor made one at the hub

    @classmethod
    def open(cls, site: Site, relay=None, seed: int | None = None) -> "Desk":
        path = site.workdir / "zygote.sock"
        zygote = Child("agent-zygote", [sys.executable, "-m", "tests.chaos.zygote", str(path)], site.workdir,
                       stdout_path=site.logs / "agent-zygote.out", cwd=ROOT)
        zygote.first_line("ready: ", timeout_s=60)
        return cls(site, zygote, relay, seed)

    def close(self) -> None:
        if self.current is not None:
            self.current.stop()
        self.site.kill_agent(signal.SIGTERM)
        self.zygote.stop()

    # -- agent lives --------------------------------------------------------------------------
    def life(self, crash_at: str | None = None, crash_after: int = 0, real: bool = False) -> Life:
        """A new agent process (the previous one must be dead or is stopped first)."""
        if self.current is not None and not self.current.dead.is_set():
            self.current.stop()
        env = {"CP_CRASH_AT": crash_at, "CP_CRASH_AFTER": str(crash_after)} if crash_at else {}
        self.tally.lives += 1
        if real:      # the real `counterpay agent run` command, as Site starts it
            self.tally.restarts["agent (counterpay agent run)"] += 1
            child = self.site.start_agent(headless=True, extra_env=env or {"CP_CRASH_AT": ""})
            self.current = Life(child.pid, child.popen.stdin, child.popen.stdout,
                                lambda: self.site.kill_agent(signal.SIGKILL), crash_at, child.popen.poll)
            return self.current
        self.current = self._fork(env, crash_at)
        return self.current

    def _fork(self, env: dict, crash_at: str | None) -> Life:
        argv = self.site.agent_command(headless=True, pay_from="-")
        argv = argv[argv.index("agent") + 1:]
        r_in, w_in = os.pipe()
        r_out, w_out = os.pipe()
        log = os.open(self.site.log("agent"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(30)
                conn.connect(str(self.socket_path))
                message = {"argv": argv, "env": env, "unset": [] if env else ["CP_CRASH_AT", "CP_CRASH_AFTER"]}
                socket.send_fds(conn, [json.dumps(message).encode()], [r_in, w_out, log])
                answer = json.loads(conn.recv(1 << 16))
        finally:
            for fd in (r_in, w_out, log):
                os.close(fd)
        pid = answer["pid"]

        def kill() -> None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return Life(pid, os.fdopen(w_in, "wb"), os.fdopen(r_out, "rb"), kill, crash_at,
                    lambda: self._zygote_exits().get(pid))

    def _zygote_exits(self) -> dict[int, int]:
        path = Path(f"{self.socket_path}.exits")
        exits = {}
        if path.exists():
            for line in path.read_text().splitlines():
                pid, _, code = line.partition(" ")
                if pid.isdigit() and code.lstrip("-").isdigit():
                    exits[int(pid)] = int(code)     # a reused pid: the latest line wins
        return exits

    # -- payments -------------------------------------------------------------------------------
    def request(self, tender: str | None = None) -> dict:
        amount = self.next_amount
        self.next_amount += 1
        tender = tender or ("cash" if self.rng.random() < 0.15 else "card")
        ref = f"DEMO-CHAOS-{amount}"
        line = {"amount_minor": amount, "currency": "EUR", "tender": tender, "case_ref": ref,
                "reference": {"format": "case", "value": ref}, "operator": "chaos"}
        if tender == "cash":
            line["cash_given_minor"] = amount + self.rng.choice((0, 0, 500))
        return line

    def pay(self, life: Life, count: int, *, kill_after_s: float | None = None, timeout_s: float = 60.0,
            pause_s: float = 0.0, tender: str | None = None) -> int:
        """Pay up to `count` requests one after another; stop at the life's death.  With
        kill_after_s, a kill -9 from outside hits it that long after this call began."""
        timer = None
        if kill_after_s is not None:
            timer = threading.Timer(kill_after_s, self.external_kill, args=(life,))
            timer.daemon = True
            timer.start()
        answered = 0
        try:
            wait_until(lambda: life.ready.is_set() or life.dead.is_set(), timeout_s,
                       f"the agent (pid {life.pid}) to say ready", detail=lambda: f"see {self.site.log('agent')}")
            for _ in range(count):
                if life.dead.is_set():
                    break
                life.in_flight = True
                if not life.send(self.request(tender)):
                    break
                event = life.next(("outcome", "error"), timeout_s)
                life.in_flight = False
                if event is None:
                    raise AssertionError(f"no outcome within {timeout_s:.0f} s from the agent (pid {life.pid}); "
                                         f"see {self.site.log('agent')}")
                if event["event"] == "exit":
                    break
                answered += 1
                self.tally.payments += 1
                self.tally.outcomes[event.get("outcome", "error")] += 1
                if pause_s:
                    time.sleep(pause_s)
        finally:
            if timer is not None:
                timer.join()
        self.judge_death(life)
        return answered

    def pay_one(self, life: Life, tender: str | None = None, timeout_s: float = 60.0) -> dict | None:
        """One payment; its outcome line, or None when the life died first."""
        wait_until(lambda: life.ready.is_set() or life.dead.is_set(), timeout_s,
                   f"the agent (pid {life.pid}) to say ready", detail=lambda: f"see {self.site.log('agent')}")
        life.in_flight = True
        if not life.send(self.request(tender)):
            return None
        event = life.next(("outcome", "error"), timeout_s)
        life.in_flight = False
        if event is None:
            raise AssertionError(f"no outcome within {timeout_s:.0f} s from the agent (pid {life.pid}); "
                                 f"see {self.site.log('agent')}")
        if event["event"] == "exit":
            return None
        self.tally.payments += 1
        self.tally.outcomes[event.get("outcome", "error")] += 1
        return event

    def void(self, life: Life, receipt_id: str, timeout_s: float = 60.0) -> dict | None:
        """Void a card payment with the chaos supervisor's PIN; the undo line, or None if the life died."""
        from tests.chaos.scenarios import SUPERVISOR
        life.in_flight = True
        sent = life.send({"void": receipt_id, "reason": "chaos: void of the last payment",
                          "supervisor": SUPERVISOR[0], "secret": SUPERVISOR[1]})
        event = life.next(("undo", "error"), timeout_s) if sent else None
        life.in_flight = False
        if event is None or event["event"] == "exit":
            return None
        self.tally.voids += 1
        self.tally.outcomes[f"void {event.get('outcome')}"] += 1
        return event

    def roster_lists(self, username: str) -> bool:
        try:
            return bool(self._store(f"SELECT 1 FROM desk_operators WHERE username = '{username}'"))
        except sqlite3.OperationalError:
            return False

    def judge_death(self, life: Life) -> None:
        """A life that ended and that nobody outside killed must have SIGKILLed itself at its
        crash point (counted once); any other end is the agent dying of an error: a finding."""
        if not life.dead.is_set() or life.killed_by_us or life.judged:
            return
        life.judged = True
        code = life.exit_code()
        if not life.crash_at or code != -signal.SIGKILL:
            raise AssertionError(f"the agent (pid {life.pid}, crash point {life.crash_at}) ended with exit code "
                                 f"{code}, not a kill -9; see {self.site.log('agent')}")
        self.tally.crash_points[life.crash_at] += 1

    def external_kill(self, life: Life) -> None:
        """kill -9 from outside, counted by the phase of the life it hit."""
        phase = life.kill()
        if phase is not None:
            self.tally.external_kills[phase] += 1

    # -- settling and judging -------------------------------------------------------------------
    def _store(self, sql: str) -> list[tuple]:
        with sqlite3.connect(f"file:{self.site.agent_dir / 'agent.db'}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql).fetchall()

    def _hub(self, sql: str) -> list[tuple]:
        with sqlite3.connect(f"file:{self.site.hub_dir / 'hub.db'}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql).fetchall()

    def backlog(self) -> dict:
        """What is not yet where it must end up (all zero once the site has settled)."""
        open_intents = self._store("SELECT COUNT(*) FROM journal WHERE state IN "
                                   "('intent','sent','unknown','operator_check')")[0][0]
        approved = {r[0] for r in self._store("SELECT intent_id FROM journal WHERE state = 'approved' "
                                              "AND kind = 'payment'")}
        pending = self._store("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0]
        at_hub = {r[0] for r in self._hub("SELECT payment_id FROM payments")}
        undelivered = self._hub("SELECT COUNT(*) FROM deliveries WHERE status != 'delivered'")[0][0]
        voided = {r[0] for r in self._store("SELECT undoes_intent_id FROM journal WHERE state = 'approved' "
                                            "AND kind = 'reversal' AND undoes_intent_id IS NOT NULL")}
        voided_at_hub = {r[0] for r in self._hub("SELECT payment_id FROM payments WHERE voided_at IS NOT NULL")}
        return {"open_intents": open_intents, "outbox_pending": pending, "not_at_hub": len(approved - at_hub),
                "undelivered": undelivered, "voids_not_at_hub": len(voided - voided_at_hub)}

    def settle(self, timeout_s: float = 90.0) -> Report:
        """A clean agent life (recovery and receipt printing at start-up), then wait until every
        payment is at the hub and delivered; then check the invariants.  An intent the terminal
        could not be asked about yet is retried by the next card payment, as at a real desk:
        while one is open, a "next customer" pays by card every few seconds."""
        life = self.current
        if life is None or life.dead.is_set() or life.crash_at:
            life = self.life()
            def ready() -> bool:
                assert not life.dead.is_set(), f"the clean agent life died; see {self.site.log('agent')}"
                return life.ready.is_set()
            wait_until(ready, 60, "the clean agent life to say ready", detail=lambda: f"see {self.site.log('agent')}")
        deadline = time.monotonic() + timeout_s
        next_customer = time.monotonic() + 3.0
        while any((backlog := self.backlog()).values()):
            if time.monotonic() > deadline:
                report = check(evidence_from_site(self.site))
                raise AssertionError(f"the site did not settle within {timeout_s:.0f} s: backlog {backlog}\n"
                                     f"{report.render()}")
            if backlog["open_intents"] and time.monotonic() > next_customer:
                self.pay(life, 1, tender="card", timeout_s=30)
                next_customer = time.monotonic() + 3.0
            time.sleep(0.3)
        return check(evidence_from_site(self.site))

    def enable_case_system(self) -> None:
        """What an admin does after a 410 disabled the endpoint: enable it again."""
        from counterpay.site import CASE_SYSTEM
        self.site.api_json("PATCH", f"/api/v1/case-systems/{CASE_SYSTEM}", json={"enabled": True})

