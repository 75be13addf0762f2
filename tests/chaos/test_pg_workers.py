"""The hub as several processes on PostgreSQL, under faults (issue 16): three `hub serve --role
ingest --role delivery` workers and an API process on one configuration file and a PostgreSQL
cluster of the test's own, simulated agents (`counterpay sim fleet`) paying at a steady rate
into a few cases each, one worker `kill -9`'d every few seconds and restarted, PostgreSQL
itself restarted once (`pg_ctl stop -m immediate`: a crash and its recovery).

Afterwards, from the database and from what the case system received:
- every payment the fleet sent was acked and is stored once;
- every one is confirmed to the case system, accepted under one webhook id (a retry after a
  kill may repeat that id, which is what the receiver deduplicates), and no other;
- each case's confirmations arrived in the order the hub queued them;
- no two requests of one case were ever in flight at once (the simulator's `overlapped`),
  so no webhook was sent by two processes at once.

The short run is in the default suite; the long one (`./quickstart.sh chaos`) runs minutes.
The site is kept in /tmp/counterpay-chaos/<module>.<pid> for a post-mortem.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from counterpay.site_process import pid_alive
from tests.chaos.hub_workers import WorkerSite

pytestmark = pytest.mark.postgres


def _workdir(name: str) -> Path:
    base = Path(os.environ.get("CP_CHAOS_DIR") or "/tmp/counterpay-chaos")
    for old in base.glob(f"{name}.*"):
        if old.suffix[1:].isdigit() and not pid_alive(int(old.suffix[1:])):
            shutil.rmtree(old, ignore_errors=True)
    workdir = base / f"{name}.{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    return workdir


def run_chaos(site: WorkerSite, rng: random.Random, *, agents: int, rate: float, duration_s: float,
              kill_every_s: float, pg_restart_at_s: float, settle_s: float) -> dict:
    """Pay, kill and restart; then wait until every payment is confirmed.  Returns the run's figures."""
    started = time.monotonic()
    fleet = site.fleet(agents=agents, rate=rate, duration_s=duration_s, seed=rng.randrange(1 << 20))
    kills, pg_restarted, exited = 0, False, []
    while fleet.poll() is None:
        exited += site.revive()
        elapsed = time.monotonic() - started
        if not pg_restarted and elapsed >= pg_restart_at_s:
            site.cluster.restart(mode="immediate")
            pg_restarted = True
        time.sleep(kill_every_s * rng.uniform(0.6, 1.4))
        up = site.workers_up()
        # A worker still starting is not killed again (on a busy machine a start takes seconds),
        # and one worker at least keeps running, so the run moves on.
        if time.monotonic() - started < duration_s and fleet.poll() is None and len(up) >= 2:
            n = rng.choice(up)
            site.kill_worker(n)
            kills += 1
            time.sleep(rng.uniform(0.1, 1.0))
            site.start_worker(n, wait=False)
    out, err = fleet.communicate()
    sent = set(site.sent())
    if fleet.returncode != 0:
        stored = {p["message_id"] for p in site.stored_payments()}
        raise AssertionError(f"the fleet failed ({fleet.returncode}): {err[-1500:]}\n{out}\nsent but not stored: "
                             f"{sorted(sent - stored)[:10]}; workers that exited by themselves: {exited} "
                             f"(site kept in {site.workdir})")
    summary = json.loads(out)

    def accepted_ids() -> set:
        return {r["event_id"] for r in site.case_record() if r.get("verified") and r.get("answered") == 204}

    deadline = time.monotonic() + settle_s
    while not sent <= accepted_ids() and time.monotonic() < deadline:
        exited += site.revive()
        time.sleep(0.5)
    return {"summary": summary, "kills": kills, "pg_restarted": pg_restarted, "exited_on_their_own": exited,
            "seconds": round(time.monotonic() - started, 1)}


def check_invariants(site: WorkerSite, figures: dict) -> dict:
    summary = figures["summary"]
    assert not figures["exited_on_their_own"], "a hub worker exited by itself (it must wait for the database)"
    sent = site.sent()
    assert summary["sent"] == len(sent) == len(set(sent)) > 0
    assert summary["acked"] == summary["sent"] and summary["unacked"] == 0 and summary["rejected"] == 0, summary

    stored = Counter(p["message_id"] for p in site.stored_payments())
    assert set(stored) == set(sent), f"{len(set(sent) - set(stored))} not stored, {len(set(stored) - set(sent))} extra"
    assert max(stored.values()) == 1, "a payment stored twice"

    queued = {d["event_id"]: d for d in site.deliveries() if d["event_id"] in set(sent)}
    assert set(queued) == set(sent), "a stored payment without its confirmation queued"
    record = [r for r in site.case_record() if r.get("event_id") in queued]
    accepted = [r for r in record if r.get("verified") and r.get("answered") == 204]
    by_event = defaultdict(set)
    for r in accepted:
        by_event[r["event_id"]].add(r["webhook_id"])
    missing = set(sent) - set(by_event)
    assert not missing, f"{len(missing)} payments never confirmed, e.g. {sorted(missing)[:3]}"
    assert all(ids == {queued[e]["webhook_id"]} for e, ids in by_event.items()), "confirmed under another webhook id"
    overlapping = [r for r in record if r.get("overlapped")]
    assert not overlapping, f"{len(overlapping)} requests of one case in flight at once, e.g. {overlapping[0]}"

    # Per-case order: the first acceptance of each confirmation, case by case, in the hub's queue order.
    first_accepted: dict[str, int] = {}
    for r in accepted:
        first_accepted.setdefault(r["webhook_id"], r["n"])
    cases = defaultdict(list)
    for d in sorted(queued.values(), key=lambda d: d["id"]):
        cases[d["case_key"]].append(d["webhook_id"])
    for case, webhook_ids in cases.items():
        arrival = sorted(webhook_ids, key=lambda w: first_accepted[w])
        assert arrival == webhook_ids, f"case {case}: confirmations out of the hub's order"
    retried = len(accepted) - len(by_event)
    return {**figures, "payments": len(sent), "cases": len(cases),
            "cases_with_several": sum(1 for ids in cases.values() if len(ids) > 1),
            "repeated_after_kill": retried, "requests": len(record)}


@pytest.fixture
def site(request):
    workdir = _workdir("pg_workers")
    running = WorkerSite(workdir, workers=3)
    try:
        running.start()
        yield running
    finally:
        left = running.stop()
        assert not left, f"the site left processes running: {left}"


@pytest.mark.timeout(300)
def test_short_kill_9_of_hub_workers_and_a_postgresql_restart_lose_and_double_nothing(site, request):
    rng = random.Random(int(os.environ.get("CP_CHAOS_SEED") or random.randrange(1 << 30)))
    figures = run_chaos(site, rng, agents=4, rate=8, duration_s=20, kill_every_s=3.0, pg_restart_at_s=8,
                        settle_s=90)
    result = check_invariants(site, figures)
    _report(request, result)
    # A restart takes seconds on a busy machine and a worker still starting is not killed again.
    assert figures["kills"] >= 3 and figures["pg_restarted"]
    assert result["cases_with_several"] > 0


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_long_kill_9_of_hub_workers_every_few_seconds_for_minutes(site, request):
    rng = random.Random(int(os.environ.get("CP_CHAOS_SEED") or random.randrange(1 << 30)))
    figures = run_chaos(site, rng, agents=20, rate=25, duration_s=240, kill_every_s=4.0, pg_restart_at_s=100,
                        settle_s=300)
    result = check_invariants(site, figures)
    _report(request, result)
    assert figures["kills"] >= 30 and figures["pg_restarted"]


def _report(request, result: dict) -> None:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = json.dumps({k: v for k, v in result.items() if k != "summary"} | {
        "sent": result["summary"]["sent"], "ack_p99_ms": result["summary"].get("ack_p99_ms")})
    if reporter is not None:
        reporter.write_line(f"\nchaos figures ({request.node.name}): {line}")
