"""Export to accounting at scale: 1,000,000 payment lines, rows per second and peak RSS, SQLite and PostgreSQL.

    .venv/bin/python bench/export.py [--lines 1000000] [--format csv|json|xlsx] [--only sqlite|postgresql] [--quick]

The hub is filled with payments of two fee positions each (so 500,000 payments make a
million lines), spread over 30 days, with the catalogue that gives their accounting codes.
Each export runs in a process of its own, `counterpay hub export`'s path (audit, cursor,
writer, file), and reports its rows per second and its peak RSS (getrusage); a tenth of
the period is exported too, so flat memory shows as two peaks that are nearly the same.
Targets (issue 13): >= 50,000 rows/s with memory flat.  The PostgreSQL run uses a schema
of its own on the test server (CP_TEST_PG_URL, else scripts/postgres-test-db.sh).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figures import record  # noqa: E402

TARGET_ROWS_PER_S = 50_000
PG_SCHEMA = "bench_export"
START = dt.date(2026, 1, 1)
CATALOGUE = {"currency": "EUR", "price_lists": [{"code": "ANAGRAFE", "name": "Registry", "positions": [
    {"code": "CI", "name": "Identity card", "unit_price_minor": 2222, "accounting_code": "3.01.02.01"},
    {"code": "CERT", "name": "Certificate", "unit_price_minor": 1220, "vat_rate_bp": 2200,
     "accounting_code": "3.01.02.07"}]}]}
POSITIONS = [{"code": "CI", "name": "Identity card", "quantity": 1, "unit_minor": 2222, "vat_rate_bp": 0},
             {"code": "CERT", "name": "Certificate", "quantity": 1, "unit_minor": 1220, "vat_rate_bp": 2200}]


def fill(url: str, lines: int, days: int = 30, batch: int = 10_000) -> None:
    """A hub database with `lines` payment lines (two per payment) over `days` days from START."""
    from hub.store.bulk import insert_rows
    from hub.store.db import Database
    from hub.store.tables import catalogue_versions, payments
    database = Database.open(url)
    count = lines // 2
    per_day = max(1, count // days)
    try:
        with database.begin() as conn:
            conn.execute(catalogue_versions.insert().values(version=1, status="published", document=CATALOGUE,
                                                            created_at="2026-01-01T00:00:00.000Z", created_by="bench",
                                                            published_at="2026-01-01T00:00:00.000Z"))
        for first in range(0, count, batch):
            rows = []
            for n in range(first, min(first + batch, count)):
                day = START + dt.timedelta(days=min(n // per_day, days - 1))
                at = f"{day.isoformat()}T{(n % 36000) // 3600 + 8:02d}:{(n % 3600) // 60:02d}:{n % 60:02d}.000Z"
                payment_id = str(uuid.UUID(int=n + 1))
                rows.append({"agent_id": f"agent-{n % 20}", "payment_id": payment_id, "message_id": payment_id,
                             "receipt_id": f"R{n}", "office": "ROMA-1" if n % 3 else "MILANO-2", "kind": "payment",
                             "amount_minor": 3442, "currency": "EUR", "tender": "card" if n % 2 else "cash",
                             "reference_format": "none", "reference_value": None, "order_ref": None,
                             "case_ref": None, "payer_name": f"Payer {n}", "payer_id": None, "operator": "clerk",
                             "captured_at": at, "received_at": at, "voided_at": None, "void_reason": None,
                             "link_status": "unlinked", "link_method": None, "linked_order_id": None,
                             "linked_case_ref": None, "link_note": None, "channel": "counter",
                             "body": {"positions": POSITIONS}})
            with database.begin() as conn:
                insert_rows(conn, payments, rows)
        if database.dialect_name == "postgresql":
            with database.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        database.dispose()


def measure(url: str, fmt: str, date_to: str, out: str) -> None:
    """One export in this process; prints `rows seconds peak_rss_kib`."""
    from hub.finance.exports.filters import ExportRequest
    from hub.finance.exports.service import BATCHES, audit, write_file
    from hub.store.db import Database
    database = Database.open(url)
    request = ExportRequest.build("payments", date_from=START.isoformat(), date_to=date_to, fmt=fmt)
    counted = 0
    original = BATCHES["payments"]

    def counting(conn, asked):
        # Counted a batch at a time: a wrapper around every row would cost the export a tenth of its speed.
        nonlocal counted
        for batch in original(conn, asked):
            counted += len(batch)
            yield batch
    BATCHES["payments"] = counting
    started, cpu = time.perf_counter(), time.process_time()
    audit(database, request, "bench", "bench")
    write_file(database, request, Path(out))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database.dispose()
    print(counted, f"{seconds:.3f}", f"{cpu:.3f}", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _run(url: str, fmt: str, date_to: dt.date, tmp: str) -> tuple[int, float, float, int, int]:
    out = str(Path(tmp) / f"export.{fmt}")
    ran = subprocess.run([sys.executable, __file__, "--measure", url, fmt, date_to.isoformat(), out],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if ran.returncode != 0:
        raise SystemExit(ran.stderr)
    rows, seconds, cpu, rss = ran.stdout.split()
    size = Path(out).stat().st_size
    return int(rows), float(seconds), float(cpu), int(rss), size


def postgres_url() -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    server = os.environ.get("CP_TEST_PG_URL") or subprocess.run(
        [str(ROOT / "scripts" / "postgres-test-db.sh")], capture_output=True, text=True, check=True).stdout.strip()
    engine = create_engine(server)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()
    return server, f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def drop_postgres(server: str) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(server)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    engine.dispose()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        measure(*sys.argv[2:6])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="payment lines (two per payment)")
    parser.add_argument("--format", dest="fmt", choices=("csv", "json", "xlsx"), default="csv")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--quick", action="store_true", help="100,000 lines, for a smoke check")
    args = parser.parse_args()
    lines = 100_000 if args.quick else args.lines
    days = 30
    for dialect in [args.only] if args.only else ["sqlite", "postgresql"]:
        with tempfile.TemporaryDirectory() as tmp:
            server = None
            if dialect == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'hub.db'}"
            else:
                server, url = postgres_url()
            try:
                started = time.perf_counter()
                fill(url, lines, days)
                print(f"{dialect}: filled {lines:,} payment lines in {time.perf_counter() - started:.1f} s", flush=True)
                tenth = _run(url, args.fmt, START + dt.timedelta(days=days // 10 - 1), tmp)
                rows, seconds, cpu, rss, size = _run(url, args.fmt, START + dt.timedelta(days=days - 1), tmp)
            finally:
                if server:
                    drop_postgres(server)
        # Rows per second of the clock, and per second of the export process's own CPU: on a shared
        # machine the first moves with the load, the second much less (the database server's CPU
        # is not in it on PostgreSQL).
        rate, cpu_rate = rows / seconds, rows / cpu
        print(f"{dialect}: exported {rows:,} lines ({args.fmt}, {size / 1e6:.0f} MB) in {seconds:.1f} s "
              f"({cpu:.1f} s CPU): {rate:,.0f} rows/s, {cpu_rate:,.0f} rows per CPU-second "
              f"(target >= {TARGET_ROWS_PER_S:,}); peak RSS {rss / 1024:.0f} MiB "
              f"(a tenth of the rows, {tenth[0]:,}: {tenth[3] / 1024:.0f} MiB); load {os.getloadavg()[0]:.1f}",
              flush=True)
        record("export", f"{dialect}: {rows:,} payment lines to {args.fmt}", round(rate), "rows/s",
               f">= {TARGET_ROWS_PER_S:,}", rate >= TARGET_ROWS_PER_S)
        record("export", f"{dialect}: the same per CPU-second of the export", round(cpu_rate), "rows/s", "", None)
        record("export", f"{dialect}: peak RSS, all rows / a tenth", f"{rss / 1024:.0f} / {tenth[3] / 1024:.0f}",
               "MiB", "flat", rss < 1.25 * tenth[3] + 20 * 1024)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
