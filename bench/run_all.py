"""Run every benchmark and print one table of headline figures (`./quickstart.sh bench`).

Each benchmark runs as its own process with its output shown as it goes; the figures
it records (bench/figures.py) are gathered into a table at the end, with the target and
whether this run met it.  `--quick` shortens the runs for a smoke check.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME ...] [--markdown]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (script, full arguments, quick arguments)
BENCHES = {
    "qr": ("qr.py", [], ["--seconds", "1", "--frames", "20"]),
    "terminal": ("terminal.py", ["--payments", "5"], ["--payments", "2"]),
    "terminal_concert": ("terminal_concert.py", ["--payments", "10"], ["--payments", "3"]),
    "agent": ("agent.py", [], ["--rows", "2000", "--appends", "500"]),
    "hub_ingest": ("hub_ingest.py", [], ["--events", "5000", "--paced-seconds", "3"]),
    # several workers share the stream ($share): on 2 cores, 2 ingest processes
    "hub_ingest_2_workers": ("hub_ingest.py", ["--hub-workers", "2"],
                             ["--hub-workers", "2", "--events", "5000", "--paced-seconds", "3"]),
    # the hub on PostgreSQL (a cluster of the bench's own), 1, 2 and 3 workers, each beside a floor run
    "hub_ingest_postgres": ("hub_ingest.py", ["--postgres", "--hub-workers", "1,2,3"],
                            ["--postgres", "--hub-workers", "1,2,3", "--events", "5000", "--paced-seconds", "3"]),
    "webhook_latency": ("webhook_latency.py", [], ["--seconds", "5"]),
    "ui": ("ui.py", [], []),
    "e2e": ("e2e.py", [], ["--quick"]),
    "backoffice": ("backoffice.py", [], ["--quick"]),
    "export": ("export.py", [], ["--quick"]),
    "notices_mail": ("notices_mail.py", [], ["--quick"]),
    "notices": ("notices.py", [], ["--quick"]),
    "reconnect_storm": ("reconnect_storm.py", [], ["--agents", "200", "--backlog", "5", "--window", "3"]),
    "broker_capacity": ("broker_capacity.py", [], ["--connections", "1000,2000", "--messages", "5000"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a smoke check")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    args = parser.parse_args()
    names = args.only or list(BENCHES)
    with tempfile.TemporaryDirectory() as tmp:
        figures_file = Path(tmp) / "figures.jsonl"
        env = {**os.environ, "CP_BENCH_JSON": str(figures_file)}
        failed = []
        started = time.monotonic()
        for name in names:
            script, full, quick = BENCHES[name]
            if not (HERE / script).exists():
                print(f"\n=== {name}: {script} is missing, skipped", flush=True)
                continue
            print(f"\n=== {name}: {script} {' '.join(quick if args.quick else full)}", flush=True)
            result = subprocess.run([sys.executable, str(HERE / script), *(quick if args.quick else full)], env=env)
            if result.returncode != 0:
                failed.append(name)
        rows = [json.loads(line) for line in figures_file.read_text().splitlines()] if figures_file.exists() else []
    print_table(rows, args.markdown, time.monotonic() - started)
    if failed:
        print(f"\nbenchmarks that did not finish: {', '.join(failed)}")
    return 1 if failed else 0


def print_table(rows: list[dict], markdown: bool, seconds: float) -> None:
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    print(f"\nFigures of {when} on {machine} ({seconds:.0f} s in all):\n")
    header = ("bench", "figure", "value", "target", "met")
    table = [(r["bench"], r["name"], f"{r['value']} {r['unit']}".strip(), r["target"] or "",
              {True: "yes", False: "NO", None: ""}[r["met"]]) for r in rows]
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in table:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(x)) for x in column) for column in zip(header, *table, strict=True)] if table else [len(h) for h in header]
    for row in (header, *table):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
