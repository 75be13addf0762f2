"""End to end with a fleet running: scan → agent → terminal → hub → case system, timed.

Starts a whole site as real processes (counterpay.site: mosquitto with the hub's TLS
configuration, hub, case-system simulator, ZVT terminal simulator, a headless agent),
then a fleet of simulated agents (`counterpay sim fleet`) sending payments at a steady
rate, and meanwhile scans signed payment-order codes at the real agent, one at a time.
Measured on one clock (everything runs on this machine):
  * scan-to-case-system: the scan line written to the agent → the case system's receipt
    of the signed confirmation (includes the card terminal conversation on a pty);
  * fleet publish-to-case-system: each fleet payment published → case system receipt;
  * the fleet's own ack latency, and how many payments were delivered exactly once.

    .venv/bin/python bench/e2e.py [--agents 500 --rate 100 --seconds 30 --scans 40] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from figures import record  # this folder is on sys.path when run as a script

# bench/agent.py would shadow the `agent` package: drop this folder before importing the product.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from counterpay.site import Site  # noqa: E402
from counterpay.site_process import counterpay_command  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def when(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def read_lines(stream, sink: queue.Queue) -> None:
    for line in stream:
        try:
            sink.put(json.loads(line))
        except json.JSONDecodeError:
            continue


def create_orders(site: Site, count: int) -> list[dict]:
    orders = []
    for i in range(count):
        body = {"amount_minor": 2000 + i, "currency": "EUR", "case_ref": f"DEMO-E2E-{i + 1:04d}",
                "reference_format": "rf", "description": f"bench order {i + 1}"}
        response = site.api("POST", "/api/v1/orders", json=body)
        if response.status_code != 201:
            raise SystemExit(f"creating an order answered {response.status_code}: {response.text[:300]}")
        orders.append(response.json())
    return orders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="fleet payments per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the fleet sends")
    parser.add_argument("--scans", type=int, default=40, help="orders scanned at the real agent")
    parser.add_argument("--quick", action="store_true", help="50 agents, 20/s, 10 s, 10 scans")
    args = parser.parse_args()
    if args.quick:
        args.agents, args.rate, args.seconds, args.scans = 50, 20.0, 10.0, 10
    with tempfile.TemporaryDirectory(prefix="cp-bench-e2e-") as tmp:
        site = Site(Path(tmp) / "site")
        try:
            return run(site, Path(tmp), args)
        finally:
            site.stop()


def run(site: Site, tmp: Path, args) -> int:
    started = time.monotonic()
    site.start()
    print(f"site up in {time.monotonic() - started:.1f} s (hub {site.api_url})", flush=True)
    orders = create_orders(site, args.scans)
    agent = site.start_agent(headless=True, pay_from="-")
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(agent.popen.stdout, lines), daemon=True).start()
    sent_log = tmp / "fleet-sent.jsonl"
    fleet_out = tmp / "fleet.json"
    fleet = subprocess.Popen(
        counterpay_command("sim", "fleet", "--hub", site.api_url, "--admin-token", site.admin_token,
                           "--agents", str(args.agents), "--rate", str(args.rate), "--duration", str(args.seconds),
                           "--dir", str(tmp / "fleet"), "--case-prefix", "DEMO-FLEET", "--sent-log", str(sent_log),
                           "--json"),
        stdout=open(fleet_out, "w"), stderr=subprocess.PIPE, text=True)
    connected = fleet.stderr.readline().strip()        # "N/N agents connected; sending …" once enrolled
    print(f"fleet: {connected or 'did not report'}", flush=True)
    scan_sent: dict[str, float] = {}
    outcomes = []
    interval = max(0.2, args.seconds / max(1, args.scans))
    for order in orders:
        scan_sent[order["case_ref"]] = time.time()
        agent.popen.stdin.write((json.dumps({"scan": order["qr_payload"], "tender": "card"}) + "\n").encode())
        agent.popen.stdin.flush()
        while True:
            line = lines.get(timeout=120)
            if line.get("event") == "outcome":
                outcomes.append(line)
                break
        time.sleep(interval)
    fleet.wait(timeout=args.seconds + 600)
    fleet_summary = json.loads(fleet_out.read_text() or "{}")
    fleet_sent = {row["event_id"]: row["sent_at"]
                  for row in map(json.loads, sent_log.read_text().splitlines())} if sent_log.exists() else {}
    approved = [o for o in outcomes if o.get("outcome") == "approved"]
    wanted = len(approved) + len(fleet_sent)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        accepted = {r["event_id"] for r in site.case_record() if r.get("verified") and 200 <= (r.get("answered") or 0) < 300}
        if len(accepted) >= wanted:
            break
        time.sleep(1)
    record_rows = [r for r in site.case_record() if r.get("verified") and 200 <= (r.get("answered") or 0) < 300]
    first_receipt: dict[str, dict] = {}
    for row in record_rows:
        first_receipt.setdefault(row["event_id"], row)
    scan_latency = [when(row["received_at"]) - scan_sent[row["case_ref"]]
                    for row in first_receipt.values() if row.get("case_ref") in scan_sent]
    fleet_latency = [when(row["received_at"]) - fleet_sent[row["event_id"]]
                     for row in first_receipt.values() if row["event_id"] in fleet_sent]
    duplicates = sum(1 for r in record_rows if r.get("duplicate"))
    print(f"\nscans at the real agent: {len(outcomes)} ({len(approved)} approved), "
          f"delivered to the case system: {len(scan_latency)}")
    print(f"fleet: {json.dumps(fleet_summary)}")
    print(f"fleet payments delivered to the case system: {len(fleet_latency)} of {len(fleet_sent)}; "
          f"duplicate deliveries accepted: {duplicates}")
    if scan_latency:
        p50, p99 = percentile(scan_latency, 0.5), percentile(scan_latency, 0.99)
        print(f"scan-to-case-system: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(scan_latency) * 1000:.0f} ms")
        record("e2e", f"scan-to-case-system p50 ({args.agents} agents at {args.rate:g}/s)", round(p50 * 1000), "ms")
        record("e2e", f"scan-to-case-system p99 ({args.agents} agents at {args.rate:g}/s)", round(p99 * 1000), "ms",
               "<= 1000", p99 <= 1.0)
    if fleet_latency:
        p50, p99 = percentile(fleet_latency, 0.5), percentile(fleet_latency, 0.99)
        print(f"fleet publish-to-case-system: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
              f"(median {statistics.median(fleet_latency) * 1000:.0f} ms)")
        record("e2e", "fleet publish-to-case-system p99", round(p99 * 1000), "ms")
    if fleet_summary:
        record("e2e", f"fleet agents connected (of {args.agents})", fleet_summary.get("connected"), "",
               f"= {args.agents}", fleet_summary.get("connected") == args.agents)
        record("e2e", "fleet ack latency p99", fleet_summary.get("ack_p99_ms"), "ms")
    complete = len(scan_latency) == len(approved) and len(fleet_latency) == len(fleet_sent)
    record("e2e", "payments delivered once to the case system", len(first_receipt), "",
           f"= {wanted}", complete and len(first_receipt) == wanted)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
