"""`counterpay demo --headless --payments N`: scripted payments through the real agent, then proof.

The site runs as processes (counterpay.site); the desk operator the site creates at
the hub (`DESK_OPERATOR`, with a random PIN) logs in first, then the payments go as
JSON lines into one headless agent (`agent run --headless --pay-from -`), all written
at once so the agent never waits for us.  Afterwards the proof is read from the parts
themselves:

- the hub's API: every approved payment stored exactly once, naming the operator,
  nothing else stored;
- the case-system simulator's record: every approved payment confirmed (answered 2xx)
  exactly once, no duplicate accepted;
- the terminal simulator's ledger: every approved card payment charged exactly once,
  declined ones and cash never charged, the lost answers charged once (not re-sent).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from counterpay import demo_script
from counterpay.site import Site, SitePlan
from counterpay.site_process import reap_leftovers
from protocol.domain import DeliveryStatus

DESK_OPERATOR = "demo-clerk"
OFFICE = "demo-office"          # an office code hub users can be given (no spaces)


@dataclass
class Summary:
    payments: int = 0
    taken: int = 0                 # approved at the agent
    declined: int = 0
    refused: int = 0               # not started (bad code, outbox full…)
    other: int = 0                 # unknown / operator check: must be 0 with the simulator
    recovered_after_lost_answer: int = 0
    stored_at_hub: int = 0
    delivered_to_case_system: int = 0
    unlinked: int = 0
    hub_deliveries: dict = field(default_factory=dict)    # the hub's own view: status -> count
    by_kind: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def fresh_folder(workdir: Path) -> None:
    """The proof counts what the hub and case system hold, so a run starts from an empty site.
    A folder from an earlier demo is cleared (its processes stopped first); any other non-empty folder is refused."""
    workdir = Path(workdir).resolve()
    if not workdir.exists() or not any(workdir.iterdir()):
        return
    if not (workdir / "hub" / "hub.toml").exists():
        raise ValueError(f"{workdir} is not empty and holds no demo site: give an empty or new folder")
    reap_leftovers(workdir)
    shutil.rmtree(workdir)


def run(workdir, n: int, *, say=print, sync_timeout_s: float | None = None) -> Summary:
    payments = demo_script.plan(n)
    summary = Summary(payments=n)
    try:
        fresh_folder(workdir)
    except ValueError as exc:
        summary.problems.append(str(exc))
        return summary
    site = Site(workdir, SitePlan(terminal_steps=demo_script.terminal_steps(payments), terminal_t4_s=1.5,
                                  printer=False, office=OFFICE, desk_operator=DESK_OPERATOR))
    started = time.monotonic()
    try:
        say(f"starting the site in {site.workdir} …")
        site.start()
        summary.seconds["site_start"] = round(time.monotonic() - started, 2)
        say(f"back office: {site.api_url}/login (username admin, password {site.admin_password})")
        say(f"desk login: username {site.desk_login[0]}, PIN {site.desk_login[1]}")
        mark = time.monotonic()
        demo_script.prepare_orders(site, payments)
        summary.seconds["orders"] = round(time.monotonic() - mark, 2)
        say(f"site up in {summary.seconds['site_start']} s; {sum(1 for p in payments if p.order)} orders created "
            f"at the hub in {summary.seconds['orders']} s; taking {n} payments …")
        outcomes = _pay(site, payments, summary, say)
        _tally(payments, outcomes, summary)
        mark = time.monotonic()
        _wait_for_sync(site, summary, sync_timeout_s or 60 + n * 0.1, say)
        summary.seconds["sync"] = round(time.monotonic() - mark, 2)
        _check(site, payments, outcomes, summary)
    except Exception as exc:       # a part that did not start: say which, still clean up
        summary.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        left = site.stop()
        if left:
            summary.problems.append(f"still running after stop: {left}")
        summary.seconds["total"] = round(time.monotonic() - started, 2)
    return summary


def _pay(site: Site, payments, summary: Summary, say) -> dict[int, dict]:
    from counterpay.site_operators import login_headless
    agent = site.start_agent(headless=True)
    logged_in = login_headless(agent, *site.desk_login)
    if not logged_in.get("operator"):
        summary.problems.append(f"the desk operator could not log in: {logged_in}")
        return {}
    lines = "".join(json.dumps(p.request) + "\n" for p in payments).encode("utf-8")

    def feed() -> None:          # the agent reads while we write: no pipe deadlock on big N
        try:
            agent.popen.stdin.write(lines)
            agent.popen.stdin.flush()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    outcomes: dict[int, dict] = {}
    begin = time.monotonic()
    writer.start()
    next_report = begin + 5
    while len(outcomes) < len(payments):
        raw = agent.popen.stdout.readline()
        if not raw:
            summary.problems.append(f"the agent stopped after {len(outcomes)} of {len(payments)} payments; "
                                    f"see {agent.log_path}")
            break
        try:
            event = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if event.get("event") == "ready":
            begin = time.monotonic()
        elif event.get("event") in ("outcome", "error"):
            outcomes[len(outcomes)] = event
            if time.monotonic() > next_report:
                next_report = time.monotonic() + 5
                say(f"  {len(outcomes)}/{len(payments)} payments, "
                    f"{len(outcomes) / (time.monotonic() - begin):.0f}/s")
    elapsed = time.monotonic() - begin
    summary.seconds["payments"] = round(elapsed, 2)
    summary.seconds["payments_per_s"] = round(len(outcomes) / elapsed, 1) if elapsed > 0 else None
    return outcomes


def _tally(payments, outcomes: dict[int, dict], summary: Summary) -> None:
    kinds: dict[str, Counter] = {}
    for p in payments:
        outcome = outcomes.get(p.index, {}).get("outcome", "missing")
        kinds.setdefault(p.kind, Counter())[outcome] += 1
        if outcome == "approved":
            summary.taken += 1
            if p.kind == "card-lost":
                summary.recovered_after_lost_answer += 1
        elif outcome == "declined":
            summary.declined += 1
        elif outcome == "refused" or outcomes.get(p.index, {}).get("event") == "error":
            summary.refused += 1
        else:
            summary.other += 1
        expected = "declined" if p.kind == "card-declined" else "approved"
        if outcome != expected:
            message = outcomes.get(p.index, {}).get("message", "no answer")
            summary.problems.append(f"payment {p.index + 1} ({p.kind}): {outcome}, expected {expected}: {message}")
    summary.by_kind = {kind: dict(counts) for kind, counts in kinds.items()}


def _approved_ids(outcomes: dict[int, dict]) -> set[str]:
    return {o["payment_id"] for o in outcomes.values() if o.get("outcome") == "approved" and o.get("payment_id")}


def _accepted(site: Site) -> list[dict]:
    return [r for r in site.case_record() if r.get("verified") and 200 <= int(r.get("answered") or 0) < 300]


def _wait_for_sync(site: Site, summary: Summary, timeout_s: float, say) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stored = len(site.hub_payments(agent=site.plan.agent_id))
        delivered = len({_payment_id(r) for r in _accepted(site)})
        if stored >= summary.taken and delivered >= summary.taken and \
                len(site.hub_deliveries(status=DeliveryStatus.DELIVERED)) >= summary.taken:
            return
        time.sleep(0.3)
    say(f"  still waiting after {timeout_s:.0f} s; checking what arrived")


def _payment_id(record: dict) -> str | None:
    return ((record.get("body") or {}).get("data") or {}).get("payment", {}).get("payment_id")


def _check(site: Site, payments, outcomes: dict[int, dict], summary: Summary) -> None:
    approved = _approved_ids(outcomes)
    hub = site.hub_payments(agent=site.plan.agent_id)
    at_hub = Counter(row["payment_id"] for row in hub)
    summary.stored_at_hub = sum(1 for pid in approved if at_hub.get(pid) == 1)
    summary.unlinked = sum(1 for row in hub if row.get("link_status") == "unlinked")
    for pid, count in at_hub.items():
        if count > 1:
            summary.problems.append(f"payment {pid} is stored {count} times at the hub")
        if pid not in approved:
            summary.problems.append(f"the hub stored {pid}, which the agent did not approve")
    unnamed = [row["payment_id"] for row in hub if row.get("operator") != DESK_OPERATOR]
    if unnamed:
        summary.problems.append(f"{len(unnamed)} payments at the hub do not name the operator {DESK_OPERATOR}, "
                                f"e.g. {unnamed[:3]}")
    missing = approved - set(at_hub)
    if missing:
        summary.problems.append(f"{len(missing)} approved payments are not at the hub, e.g. {sorted(missing)[:3]}")

    deliveries = {row["event_id"]: row["status"] for row in site.hub_deliveries()}
    summary.hub_deliveries = dict(Counter(deliveries.values()))
    by_payment = {row["payment_id"]: row["message_id"] for row in hub}
    not_done = [pid for pid in approved if deliveries.get(by_payment.get(pid)) != DeliveryStatus.DELIVERED]
    if not_done:
        summary.problems.append(f"{len(not_done)} approved payments are not 'delivered' in the hub's delivery "
                                f"list, e.g. {sorted(not_done)[:3]}")

    accepted = Counter(_payment_id(r) for r in _accepted(site))
    summary.delivered_to_case_system = sum(1 for pid in approved if accepted.get(pid) == 1)
    doubled = [pid for pid, count in accepted.items() if count > 1]
    if doubled:
        summary.problems.append(f"{len(doubled)} payments confirmed more than once to the case system, "
                                f"e.g. {doubled[:3]}")
    undelivered = approved - set(accepted)
    if undelivered:
        summary.problems.append(f"{len(undelivered)} approved payments never reached the case system, "
                                f"e.g. {sorted(undelivered)[:3]}")

    # Amounts are unique per payment, so the ledger tells exactly what the terminal was asked and did.
    requests = [r for r in site.terminal_ledger() if r.get("record") == "request" and r.get("kind") == "payment"]
    asked = Counter(r["amount_minor"] for r in requests)
    charged = Counter(r["amount_minor"] for r in requests if r.get("charged"))
    for p in payments:
        outcome = outcomes.get(p.index, {}).get("outcome")
        want = 1 if p.card and outcome == "approved" else 0
        if charged.get(p.amount_minor, 0) != want:
            summary.problems.append(f"payment {p.index + 1} ({p.kind}, {outcome}): the terminal charged "
                                    f"{p.amount_minor} {charged.get(p.amount_minor, 0)} times, expected {want}")
        if asked.get(p.amount_minor, 0) != (1 if p.card else 0):   # a lost answer must never be sent again
            summary.problems.append(f"payment {p.index + 1} ({p.kind}): the terminal got "
                                    f"{asked.get(p.amount_minor, 0)} financial requests for it")
    summary.seconds["charges_in_ledger"] = sum(charged.values())


def render(summary: Summary) -> str:
    s = summary.seconds
    lines = [f"payments scripted:             {summary.payments}",
             f"taken (approved):              {summary.taken}",
             f"declined:                      {summary.declined}",
             f"recovered after a lost answer: {summary.recovered_after_lost_answer}",
             f"stored at the hub (once):      {summary.stored_at_hub}",
             f"delivered to the case system:  {summary.delivered_to_case_system}",
             f"unlinked at the hub:           {summary.unlinked}",
             f"hub's delivery list:           {summary.hub_deliveries}",
             f"refused / other:               {summary.refused} / {summary.other}",
             "by kind:                       " + ", ".join(f"{k} {dict(v)}" for k, v in summary.by_kind.items()),
             f"time: site {s.get('site_start')} s, orders {s.get('orders')} s, payments {s.get('payments')} s "
             f"({s.get('payments_per_s')}/s), sync {s.get('sync')} s, total {s.get('total')} s"]
    if summary.problems:
        lines.append(f"FAILED: {len(summary.problems)} problem(s):")
        lines += [f"  - {problem}" for problem in summary.problems[:30]]
    else:
        lines.append("OK: every approved payment is stored once at the hub and delivered once to the case system; "
                     "the terminal charged no card twice")
    return "\n".join(lines)
