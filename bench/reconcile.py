"""Reconciliation benchmark: 100,000 statement lines matched against 100,000 flow payments.

    .venv/bin/python bench/reconcile.py [--lines 100000] [--postgres URL] [--only sqlite|postgresql]

The hardest shape: every line pays one reporting flow of one payment, so a run matches
N lines to N flows, N flow payments to N payment orders by IUV, and makes N pagoPA
payments with N confirmations queued for the case system.  Set up in bulk (not timed):
N orders and N flows.  Timed:
  * the import of one statement file of N lines (store_statement: keys, remittance, rows)
  * the matching run                                              target <= 30 s
  * a second run, which must change nothing (idempotent)
On SQLite (a file in a temporary folder) and, with --postgres or CP_TEST_PG_URL, on
PostgreSQL (a schema of its own, dropped afterwards).

The export half of the issue's benchmark (1,000,000 payment lines, >= 50,000 rows/s,
flat memory) lives in bench/export.py, which fills a hub of its own; `bench_export` says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from hub.finance.records import Statement, StatementLine  # noqa: E402
from hub.finance.reconcile import matching  # noqa: E402
from hub.finance.reconcile import status as st  # noqa: E402
from hub.finance.reconcile.store import Reading, store_statement  # noqa: E402
from hub.store.bulk import insert_rows  # noqa: E402
from hub.store.db import Database  # noqa: E402
from hub.store.tables import orders  # noqa: E402
from hub.store.tables_reconcile import finance_imports, flow_payments, flows  # noqa: E402
from hub.store.timeutil import now_iso  # noqa: E402
from figures import record  # noqa: E402  (bench/ is on sys.path when run as a script)
from tests.finance.reconcile_fingerprint import digest  # noqa: E402

OFFICE, IBAN, DAY = "ROMA-1", "IT60X0542811101000000123456", dt.date(2026, 11, 20)
TARGET_S = 30.0
CHUNK = 5000


class _Account:
    office, iban = OFFICE, IBAN


def _flow_id(n: int) -> str:
    return f"2026-11-20SELBIT2B-S{n:09d}"


def _iuv(n: int) -> str:
    return f"{n:017d}"


def _reader():
    """protocol/remittance.py when it is there; else a reader of exactly the texts this bench writes."""
    try:
        from hub.finance.reconcile.store import read_remittance
        import protocol.remittance  # noqa: F401
        return read_remittance, "protocol.remittance"
    except ImportError:
        prefix = "/PUR/LGPE-RIVERSAMENTO/URI/"
        return (lambda line: Reading("pagopa-flow", flow_id=line.description[len(prefix):])), "bench's own reader"


def set_up(db: Database, n: int) -> None:
    """N orders and N flows of one payment each, inserted in bulk."""
    at = now_iso()
    with db.begin() as conn:
        for start in range(0, n, CHUNK):
            span = range(start, min(start + CHUNK, n))
            insert_rows(conn, orders, [{
                "order_id": f"CP{i:010d}", "amount_kind": "fixed", "amount_minor": 1000 + i % 5000, "currency": "EUR",
                "reference_format": "pagopa", "reference": f"3{_iuv(i)}", "iuv": _iuv(i), "case_ref": f"TARI-{i}",
                "created_at": at, "created_by": "bench", "office": OFFICE} for i in span])
        import_id = conn.execute(finance_imports.insert().values(sha256="0" * 64, kind="flow", format="fdr", office=OFFICE,
                                                     items=n, added=n, imported_at=at, imported_by="bench")
                                 ).inserted_primary_key[0]
        for start in range(0, n, CHUNK):
            span = range(start, min(start + CHUNK, n))
            insert_rows(conn, flows, [{
                "id": i + 1, "import_id": import_id, "office": OFFICE, "flow_id": _flow_id(i), "psp_id": "SELBIT2B",
                "revision": "2026-11-22T08:00:00", "psp_name": "PSP", "bic": None, "settlement_ref": f"TRN{i}",
                "settlement_date": DAY.isoformat(), "creditor_id": "00311260095", "creditor_name": None,
                "total_count": 1, "total_minor": 1000 + i % 5000, "status": st.WAITING, "reason": st.NOT_RUN,
                "line_row": None, "imported_at": at} for i in span])
            insert_rows(conn, flow_payments, [{
                "flow_row": i + 1, "position": 1, "office": OFFICE, "iuv": _iuv(i), "iur": f"IUR{i}",
                "payment_index": 1, "amount_minor": 1000 + i % 5000, "outcome": 0, "outcome_date": DAY.isoformat(),
                "status": st.WAITING, "reason": st.NOT_RUN, "order_id": None, "payment_row": None} for i in span])
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('flows', 'id'), :n)"), {"n": n})


def statement_of(n: int) -> Statement:
    return Statement("camt.053", "BENCH", IBAN, "EUR", tuple(
        StatementLine(i + 1, DAY, DAY, 1000 + i % 5000, "EUR", True, False, f"/PUR/LGPE-RIVERSAMENTO/URI/{_flow_id(i)}",
                      None, f"BK{i}", "Mario Rossi") for i in range(n)))


def _server_cpu(conn) -> float | None:
    """CPU seconds the PostgreSQL backend of `conn` has used, when it runs on this machine (else None)."""
    if conn.dialect.name != "postgresql":
        return None
    pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")     # utime + stime


def bench_match(db: Database, label: str, n: int) -> None:
    set_up(db, n)
    reader, which = _reader()
    stmt = statement_of(n)
    started = time.perf_counter()
    with db.begin() as conn:
        store_statement(conn, stmt, _Account(), sha256=hashlib.sha256(b"bench").hexdigest(), file_name="bench.xml",
                        actor="bench", remittance=reader)
    imported = time.perf_counter() - started
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()      # the commit is timed too
    with db.begin() as conn:
        server_before = _server_cpu(conn)
        outcome = matching.run(conn)
        server = None if server_before is None else _server_cpu(conn) - server_before
    matched, matched_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    with db.begin() as conn:
        again = matching.run(conn)
    second = time.perf_counter() - started
    with db.connect() as conn:
        deliveries = conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one()
        paid = conn.execute(select(func.count()).select_from(flow_payments)
                            .where(flow_payments.c.status == st.MATCHED)).scalar_one()
        result = digest(conn)      # statuses, links, payments and deliveries: equal before and after a change
    print(f"{label}: import of a statement of {n:,} lines ({which}): {imported:.1f} s")
    on_server = "" if server is None else f", {server:.1f} s CPU in the PostgreSQL backend"
    print(f"{label}: matching run: {matched:.1f} s, of which {matched_cpu:.1f} s CPU in this process{on_server} "
          f"(target <= {TARGET_S:.0f} s; load average {load:.2f} before): lines {dict(outcome.lines)}, "
          f"flows {dict(outcome.flows)}, flow payments {dict(outcome.payments)}, payments made "
          f"{outcome.payments_made:,}, confirmations queued {deliveries:,}")
    print(f"{label}: second run: {second:.1f} s, {again.changed} changed, {again.payments_made} payments made")
    print(f"{label}: result digest {result} (tests/finance/reconcile_fingerprint.py); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    assert paid == n and outcome.payments_made == n and again.changed == 0, "the bench did not match everything"
    record("reconcile", f"{n:,} lines against {n:,} flow payments matched ({label})", round(matched, 1), "s",
           f"<= {TARGET_S:.0f}", matched <= TARGET_S)
    record("reconcile", f"import of a {n:,}-line statement ({label})", round(imported, 1), "s")


def bench_export(db: Database, label: str) -> None:
    """The export half (1,000,000 payment lines streamed, >= 50,000 rows/s, peak RSS) is bench/export.py:
    it needs a million fee lines of its own, not the 100,000 payments `bench_match` leaves here."""
    print(f"{label}: export benchmark: bench/export.py (.venv/bin/python bench/export.py [--only sqlite|postgresql])")


def _sqlite(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cp-bench-reconcile-") as workdir:
        db = Database.open(f"sqlite:///{workdir}/hub.db")
        try:
            bench_match(db, "SQLite", n)
            bench_export(db, "SQLite")
        finally:
            db.dispose()


def _postgres(url: str, n: int) -> None:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    db = Database.open(f"{url}{separator}options=-csearch_path%3D{schema}")
    try:
        bench_match(db, "PostgreSQL", n)
        bench_export(db, "PostgreSQL")
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000, help="statement lines (and flows, flow payments, orders)")
    parser.add_argument("--postgres", default=os.environ.get("CP_TEST_PG_URL"),
                        help="a PostgreSQL URL (default: CP_TEST_PG_URL); without one, SQLite only")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="run on one database only")
    args = parser.parse_args()
    if args.only != "postgresql":
        _sqlite(args.lines)
    if args.only == "sqlite":
        return
    if args.postgres:
        _postgres(args.postgres, args.lines)
    else:
        print("PostgreSQL: skipped (no --postgres URL and no CP_TEST_PG_URL)")


if __name__ == "__main__":
    main()
