"""Webhook latency: a payment's confirmation queued at the hub → received by the case system.

Queues confirmations at a steady rate (default 100/s) the way ingest does (one
transaction each, `enqueue_confirmation` inside it), with the delivery worker running
as in `counterpay hub serve` (its own thread, woken on enqueue) and the case-system
simulator as a separate process on loopback, verifying every signature.  Latency is
measured from the enqueuing transaction's commit to the simulator's receipt stamp.
The MQTT leg is measured end to end elsewhere (bench/hub_ingest.py).

Target (issue 5): p99 <= 1 s at 100 events/s.  Prints figures only.

    .venv/bin/python bench/webhook_latency.py [--rate 100] [--seconds 20] [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from figures import record as record_figure  # bench/ is on sys.path when run as a script
from hub.casesys import registry
from hub.delivery.queue import enqueue_confirmation
from hub.delivery.worker import BackgroundDelivery
from hub.store.db import Database
from hub.store.tables_delivery import deliveries
from protocol import webhooks


def start_sim(workdir: Path, secret: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "counterpay", "sim", "case-system", "--port", "0",
                                "--secret", secret, "--record", str(workdir / "received.jsonl")],
                               stdout=subprocess.PIPE, stderr=(workdir / "sim.log").open("w"), text=True)
    first = process.stdout.readline().strip()
    if not first.startswith("listening: "):
        raise SystemExit(f"the case-system simulator did not start: {first!r}")
    return process, first.split(" ", 1)[1]


def scratch_database(url: str | None, workdir: Path):
    """A fresh SQLite file, or a fresh schema in the PostgreSQL database given (dropped after)."""
    if not url:
        return f"sqlite:///{workdir / 'hub.db'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", drop


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="confirmations queued per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cases", type=int, default=500, help="distinct cases the payments belong to")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--in-flight", type=int, default=None, help="worker's max requests in flight")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="cp-webhook-bench-"))
    secret = webhooks.new_secret()
    sim, base_url = start_sim(workdir, secret)
    db_url, cleanup = scratch_database(args.db, workdir)
    db = Database.open(db_url)
    with db.begin() as conn:
        registry.create(conn, registry.CaseSystemCreate(
            name=f"bench-{int(time.time())}", patterns=[{"on": "case_ref", "regex": r"BENCH-\d+"}],
            webhook_url=base_url + "/webhook", secret=secret, internal=True), "bench")
    options = {"max_in_flight": args.in_flight} if args.in_flight else {}
    delivery = BackgroundDelivery(db, **options).start()
    total = int(args.rate * args.seconds)
    committed: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    try:
        cpu_started = time.process_time()
        started = time.perf_counter()
        for n in range(total):
            due = started + n / args.rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            case_ref = f"BENCH-{n % args.cases}"
            event_id = f"bench-{n}-{int(started)}"
            with db.begin() as conn:
                enqueue_confirmation(conn, event_id=event_id, agent_id="bench-agent", payment={
                    "payment_id": f"p-{n}", "amount_minor": 1000 + n % 5000, "currency": "EUR", "tender": "card",
                    "reference_format": "case", "reference_value": case_ref, "case_ref": case_ref,
                    "office": "bench", "captured_at": "2026-11-22T12:00:00.000Z", "voided_at": None},
                    link={"status": "linked", "method": "case", "order_id": None, "case_ref": case_ref})
            committed[event_id] = time.time()
        produced_in = time.perf_counter() - started
        # Wait on the hub's own count (asking the simulator while it works would slow it down).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.connect() as conn:
                done = conn.execute(select(func.count()).where(deliveries.c.status == "delivered",
                                                               deliveries.c.event_id.in_(list(committed)))).scalar()
            if done >= total:
                break
            time.sleep(0.5)
        cpu_used = time.process_time() - cpu_started   # producer + worker: both halves of the hub's work
        time.sleep(0.5)
    finally:
        delivery.stop()
        sim.terminate()
        sim.wait(10)
        db.dispose()
        cleanup()

    received: dict[str, float] = {}
    for line in (workdir / "received.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["verified"] and record["answered"] == 204 and record["event_id"] in committed:
            at = dt.datetime.fromisoformat(record["received_at"].replace("Z", "+00:00")).timestamp()
            received.setdefault(record["event_id"], at)
    latencies = [received[e] - committed[e] for e in received]
    print(f"webhook latency, queued (committed) → received by the case-system simulator over HTTP, "
          f"{'SQLite' if not args.db else db.dialect_name}")
    print(f"  queued        {total} confirmations at {total / produced_in:.1f}/s over {produced_in:.1f} s, "
          f"{args.cases} cases")
    print(f"  delivered     {len(received)} ({total - len(received)} missing after 60 s)")
    if latencies:
        print(f"  latency  p50  {statistics.median(latencies) * 1000:7.1f} ms")
        print(f"           p99  {percentile(latencies, 0.99) * 1000:7.1f} ms   (target <= 1000 ms)")
        p99 = percentile(latencies, 0.99) * 1000
        record_figure("webhook", f"confirmation queued → case system p99 at {args.rate:g}/s", round(p99, 1), "ms", "<= 1000",
               p99 <= 1000)
        print(f"           max  {max(latencies) * 1000:7.1f} ms")
    print(f"  hub CPU       {cpu_used / total * 1000:.2f} ms per confirmation (queue + deliver + record), "
          f"i.e. ~{total / cpu_used:.0f}/s per core")
    print(f"  machine load  {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (1-min load average, "
          f"{os.cpu_count()} cores): latency suffers when other work shares the cores")
    print("  (receipt stamps have 1 ms resolution)")


if __name__ == "__main__":
    main()
