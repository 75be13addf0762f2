"""Agent benchmarks: outbox append latency, backlog drain through mosquitto, headless RSS.

    .venv/bin/python bench/agent.py [--rows 10000] [--appends 2000]

Prints:
  * outbox append p50/p99 (one signed payment.captured row per committed transaction,
    WAL + synchronous=FULL, so each includes an fsync)            target p99 <= 5 ms
  * drain of a backlog of N rows through a real mosquitto (set_tcp_nodelay true) to an
    acking peer in its own process; a row counts only when the peer's ack is applied
                                                                   target >= 1,000 rows/s
  * RSS of a headless agent process (`counterpay agent run --headless`) after start-up
    and after 200 payments, connected to the broker.
Loopback only; figures depend on the disk and on what else runs on the machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from protocol.keys import KeyDirectory, SigningKey  # noqa: E402

from agent.outbox import Outbox  # noqa: E402
from agent.store import Store  # noqa: E402
from agent.sync import Backoff, SyncClient  # noqa: E402
from tests.support.broker import Mosquitto  # noqa: E402
from figures import record  # noqa: E402  (bench/ is on sys.path when run as a script)
from workload import agent_and_hub_keys, payment_body, percentile, rss_mb, run_peer  # noqa: E402

AGENT = "bench-desk"


def bench_append(workdir: Path, key: SigningKey, count: int) -> None:
    store = Store.open(workdir / "append.db")
    outbox = Outbox(store, AGENT, key)
    timings = []
    for n in range(count):
        started = time.perf_counter()
        outbox.append("payment.captured", payment_body(n), payment_id=f"p-{n:08d}")
        timings.append((time.perf_counter() - started) * 1000)
    store.close()
    print(f"outbox append ({count} rows, each its own fsync'd transaction): "
          f"p50 {statistics.median(timings):.2f} ms, p99 {percentile(timings, 0.99):.2f} ms, "
          f"max {max(timings):.2f} ms  (target p99 <= 5 ms)")
    p99 = percentile(timings, 0.99)
    record("agent", "outbox append p50", round(statistics.median(timings), 2), "ms")
    record("agent", "outbox append p99", round(p99, 2), "ms", "<= 5", p99 <= 5)


def bench_drain(workdir: Path, key: SigningKey, hub: SigningKey, directory: KeyDirectory, rows: int) -> None:
    broker = Mosquitto(workdir / "broker").start()
    context = multiprocessing.get_context("spawn")
    ready, done, peer_cpu = context.Event(), context.Event(), context.Value("d", 0.0)
    peer = context.Process(
        target=run_peer, args=(broker.port, directory.to_json(), hub.to_pem(), ready, done, peer_cpu))
    try:
        store = Store.open(workdir / "drain.db")
        outbox = Outbox(store, AGENT, key)
        with store.transaction():
            for n in range(rows):
                outbox.append("payment.captured", payment_body(n), payment_id=f"p-{n:08d}")
        peer.start()
        if not ready.wait(20):
            raise SystemExit("the acking peer did not come up")
        sync = SyncClient(store, outbox, key, AGENT, broker.url, incarnation=1, window=100,
                          birth_info=lambda: {"version": "bench", "mode": "cashier", "outbox_depth": rows,
                                              "oldest_age_s": None}, backoff=Backoff(0.05, 0.5))
        started, cpu_started = time.perf_counter(), time.process_time()
        sync.start()
        while outbox.depth() > 0:
            time.sleep(0.01)
            if time.perf_counter() - started > 300:
                raise SystemExit(f"drain stalled with {outbox.depth()} rows left")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        sync.stop()
        store.close()
        print(f"drain of a {rows}-row backlog through mosquitto to an acking peer (window 100): "
              f"{elapsed:.2f} s, {rows / elapsed:,.0f} rows/s  (target >= 1,000 rows/s); agent CPU "
              f"{cpu * 1000 / rows:.2f} ms per row = {rows / cpu:,.0f} rows per CPU-second")
        record("agent", f"drain of a {rows}-row backlog", round(rows / elapsed), "rows/s", ">= 1000",
               rows / elapsed >= 1000)
        load = open("/proc/loadavg").read().split()[0]
    finally:
        done.set()
        peer.join(10)
        broker.stop()
    print(f"  acking peer CPU {peer_cpu.value * 1000 / rows:.2f} ms per row (verify + sign + publish); "
          f"load average during the run: {load} on {len(__import__('os').sched_getaffinity(0))} cores, "
          "shared with whatever else runs")


def bench_rss(workdir: Path, key: SigningKey) -> None:
    broker = Mosquitto(workdir / "rss-broker").start()
    keys = workdir / "keys"
    keys.mkdir(exist_ok=True)
    (keys / "signing_key.pem").write_bytes(key.to_pem())
    config = workdir / "agent.toml"
    config.write_text(f'[agent]\nid = "{AGENT}"\noffice = "Riga 1"\ndata_dir = "{workdir / "rss-data"}"\n'
                      f'key_dir = "{keys}"\n[hub]\nbroker = "{broker.url}"\n[printer]\nkind = "file"\n'
                      f'path = "{workdir / "receipts.bin"}"\npng_dir = "{workdir / "png"}"\n'
                      '[desk]\nlogin = false\n')   # the payment path is measured, not the login
    process = subprocess.Popen([sys.executable, "-m", "counterpay", "agent", "run", "--config", str(config),
                                "--headless", "--pay-from", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, cwd=ROOT)
    try:
        process.stdout.readline()
        time.sleep(0.5)
        at_start = rss_mb(process.pid)
        for n in range(200):
            process.stdin.write(json.dumps({"amount_minor": 100 + n, "currency": "EUR", "tender": "cash"}) + "\n")
        process.stdin.flush()
        for _ in range(200):
            process.stdout.readline()
        after = rss_mb(process.pid)
        print(f"headless agent RSS: {at_start:.1f} MB after start-up, {after:.1f} MB after 200 "
              "payments with receipts (the UI adds its own; bench/ui.py measures that)")
        record("agent", "headless agent RSS after 200 payments", round(after, 1), "MB", "<= 100", after <= 100)
    finally:
        process.terminate()
        process.wait(10)
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--appends", type=int, default=2_000)
    args = parser.parse_args()
    key, hub, directory = agent_and_hub_keys(AGENT)
    with tempfile.TemporaryDirectory(prefix="cp-bench-agent-") as tmp:
        workdir = Path(tmp)
        bench_append(workdir, key, args.appends)
        bench_drain(workdir, key, hub, directory, args.rows)
        bench_rss(workdir, key)


if __name__ == "__main__":
    main()
