"""Back-office benchmark: the searches and lists of the web console over a big hub database.

    .venv/bin/python bench/backoffice.py [--payments 1000000] [--orders 200000] [--repeat 30]
        [--only sqlite|postgresql] [--keep] [--quick]

Generates payments and orders spread over offices, agents, a year of dates, tenders and
payers (orders with IUVs, notice numbers, RF references and payer fiscal codes) into SQLite
and into PostgreSQL (scripts/postgres-test-db.sh, a schema of its own), then measures the
p95 over repeated requests of each of:

  payments search  typical filters (office and week; unlinked cash; payer fiscal code;
                   payer name; two offices' scope and an amount range), page and exact
                   total (as the API answers), and page and a total counted up to 10,000
  order search     `q` = an IUV, `q` = a payer fiscal code, with each order's payments
  dashboard        today's takings per office and tender, the agents, unlinked payments,
                   the webhook backlog and dead letters
  page 1,000       of the payments list (50 a page), by its cursor; OFFSET beside it

through the query layer (server time) and, where the API has the route, over real HTTP
against a running hub (loopback round trip).  Target (issue 12): ≤ 200 ms each.  The
browser's full page load is measured by `browser_page_load` once the console has pages.
With --keep the generated databases stay for the next run, which reuses them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from hub.api.security import create_token  # noqa: E402
from hub.linking.search import PaymentFilter, count, search_page, unlinked_count  # noqa: E402
from hub.orders.search import OrderFilter, search_page as order_page  # noqa: E402
from hub.orders.service import order_view  # noqa: E402
from hub.store.bulk import insert_rows  # noqa: E402
from hub.store.db import Database  # noqa: E402
from hub.store.tables import agents, orders, payments  # noqa: E402
from hub.store.tables_delivery import deliveries  # noqa: E402
from figures import record  # noqa: E402  (bench/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 200.0
PAGE = 50
COUNT_UP_TO = 10_000       # a list can show "10,000+" instead of an exact total
OFFICES = [f"OFF{n:02d}" for n in range(20)]
AGENTS = [f"{office}-desk-{n}" for office in OFFICES for n in range(10)]
FIRST = ["Maria", "Luca", "Anna", "Marco", "Giulia", "Jānis", "Anna", "Piotr", "Eleni", "Sofia", "Paolo", "Ilze"]
LAST = ["Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Bērziņš", "Kowalski", "Nowak", "Papadopoulos",
        "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa", "Giordano", "Mancini", "Rizzo"]
BATCH = 20_000


# -- the data --------------------------------------------------------------------------------------
def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fiscal_code(rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return ("".join(rng.choice(letters) for _ in range(6)) + f"{rng.randrange(100):02d}" + rng.choice(letters)
            + f"{rng.randrange(1, 72):02d}" + rng.choice(letters) + f"{rng.randrange(1000):03d}" + rng.choice(letters))


def payers(n: int, rng: random.Random) -> list[tuple[str, str]]:
    return [(f"{rng.choice(FIRST)} {rng.choice(LAST)}", fiscal_code(rng)) for _ in range(n)]


def order_rows(n: int, people: list[tuple[str, str]], now: dt.datetime, rng: random.Random):
    for i in range(n):
        order_id = f"CP{i:010d}"
        name, code = rng.choice(people)
        created = now - dt.timedelta(seconds=rng.randrange(400 * 86400))
        pagopa = rng.random() < 0.7
        iuv = f"01{i:015d}" if pagopa else None
        yield {"order_id": order_id, "amount_kind": "fixed", "amount_minor": rng.randrange(500, 50_000, 50),
               "currency": "EUR", "reference_format": "pagopa" if pagopa else "rf",
               "reference": f"301{i:015d}" if pagopa else f"RF{i % 97:02d}{order_id}", "iuv": iuv,
               "case_ref": f"PRAT-{created.year}/{i}", "payer_name": name, "payer_id": code,
               "description": "fee", "due_date": None if rng.random() < 0.1 else
               (created + dt.timedelta(days=30)).date().isoformat(), "qr_payload": None,
               "created_at": iso(created), "created_by": "bench", "positions": None, "office": rng.choice(OFFICES)}


def payment_rows(n: int, order_list: list[dict], people: list[tuple[str, str]], now: dt.datetime,
                 rng: random.Random):
    for i in range(n):
        agent = rng.choice(AGENTS)
        captured = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
        linked = rng.random() < 0.6
        order = rng.choice(order_list) if linked else None
        name, code = (order["payer_name"], order["payer_id"]) if order else rng.choice(people)
        voided = rng.random() < 0.01
        yield {"agent_id": agent, "payment_id": f"pay-{i:08d}", "message_id": f"msg-{i:08d}",
               "receipt_id": f"rcpt-{i:08d}", "office": agent.split("-")[0],
               "kind": "refund" if rng.random() < 0.005 else "payment", "amount_minor": rng.randrange(100, 50_000, 10),
               "currency": "EUR", "tender": "card" if rng.random() < 0.7 else "cash",
               "reference_format": order["reference_format"] if order else "none",
               "reference_value": order["reference"] if order else None, "order_ref": None, "case_ref": None,
               "payer_name": name, "payer_id": code, "operator": "clerk", "captured_at": iso(captured),
               "received_at": iso(captured + dt.timedelta(seconds=1)),
               "voided_at": iso(captured + dt.timedelta(minutes=5)) if voided else None,
               "void_reason": "wrong amount" if voided else None, "link_status": "linked" if linked else "unlinked",
               "link_method": order["reference_format"] if order else None,
               "linked_order_id": order["order_id"] if order else None, "linked_case_ref": None,
               "link_note": None if linked else "no order with this reference", "body": {"v": 1}}


def load(db: Database, table, rows, total: int, what: str) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany in big batches on SQLite."""
    started, done = time.monotonic(), 0
    with db.begin() as conn:
        if conn.dialect.name == "postgresql":
            first = next(rows)
            columns = list(first)
            as_text = [c == "body" for c in columns]     # COPY takes the JSON column as its text
            with conn.connection.driver_connection.cursor() as cursor, \
                    cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in itertools.chain([first], rows):
                    copy.write_row([json.dumps(row[c]) if j else row[c] for c, j in zip(columns, as_text, strict=True)])
                    done += 1
        else:
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    insert_rows(conn, table, batch)
                    done, batch = done + len(batch), []
            insert_rows(conn, table, batch)
            done += len(batch)
    print(f"  {done:,} {what} in {time.monotonic() - started:.0f} s", flush=True)


def generate(db: Database, n_payments: int, n_orders: int) -> None:
    with db.connect() as conn:
        have = (conn.execute(select(func.count()).select_from(payments)).scalar_one(),
                conn.execute(select(func.count()).select_from(orders)).scalar_one())
    if have == (n_payments, n_orders):
        print(f"  reusing {n_payments:,} payments and {n_orders:,} orders already there", flush=True)
        return
    rng, now = random.Random(12), dt.datetime.now(dt.timezone.utc)
    people = payers(max(n_orders * 3 // 4, 100), rng)
    order_list = list(order_rows(n_orders, people, now, rng))
    load(db, orders, iter(order_list), n_orders, "orders")
    load(db, payments, payment_rows(n_payments, order_list, people, now, rng), n_payments, "payments")
    with db.begin() as conn:
        insert_rows(conn, agents, [{"agent_id": a, "online": rng.random() < 0.9, "version": "1.0", "mode": "clerk",
                                    "outbox_depth": rng.randrange(5), "oldest_age_s": rng.randrange(60),
                                    "last_seen": iso(now), "contiguous_seq": 0, "max_seq": 0} for a in AGENTS])
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


# -- what is measured ------------------------------------------------------------------------------
def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def timed(db: Database, repeat: int, request) -> float:
    """p95 in ms of `request(conn, i)` over `repeat` runs, each on a connection from the pool."""
    samples = []
    for i in range(repeat):
        with db.connect() as conn:
            started = time.perf_counter()
            request(conn, i)
            samples.append((time.perf_counter() - started) * 1000)
    return p95(samples)


def samples_of(db: Database, repeat: int) -> dict:
    """Values to search for, drawn from the data so every search finds something."""
    rng = random.Random(7)
    with db.connect() as conn:
        order_rows_ = conn.execute(select(orders.c.iuv, orders.c.payer_id).where(orders.c.iuv.is_not(None))
                                   .limit(5000)).all()
        paying = conn.execute(select(payments.c.payer_id).limit(5000)).scalars().all()
        first, last = conn.execute(select(func.min(payments.c.captured_at), func.max(payments.c.captured_at))).one()
    span = (dt.datetime.fromisoformat(last[:10]) - dt.datetime.fromisoformat(first[:10])).days
    weeks = [dt.date.fromisoformat(first[:10]) + dt.timedelta(days=rng.randrange(max(span - 7, 1)))
             for _ in range(repeat)]
    return {"iuvs": [rng.choice(order_rows_)[0] for _ in range(repeat)],
            "order_payers": [rng.choice(order_rows_)[1] for _ in range(repeat)],
            "payers": [rng.choice(paying) for _ in range(repeat)], "weeks": weeks,
            "offices": [rng.choice(OFFICES) for _ in range(repeat)],
            "office_pairs": [frozenset(rng.sample(OFFICES, 2)) for _ in range(repeat)],
            "surnames": [rng.choice(LAST) for _ in range(repeat)]}


def payment_searches(s: dict) -> dict:
    return {
        "payments: office + week": lambda i: PaymentFilter(office=s["offices"][i], date_from=s["weeks"][i],
                                                           date_to=s["weeks"][i] + dt.timedelta(days=6)),
        "payments: unlinked cash": lambda i: PaymentFilter(status="unlinked", tender="cash"),
        "payments: payer fiscal code": lambda i: PaymentFilter(payer=s["payers"][i]),
        "payments: payer name": lambda i: PaymentFilter(payer=s["surnames"][i]),
        "payments: 2 offices' scope + amount": lambda i: PaymentFilter(offices=s["office_pairs"][i],
                                                                       amount_min=1000, amount_max=5000),
    }


def dashboard(conn) -> None:
    """What the dashboard shows: today's takings by office and tender, the fleet, queues."""
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    conn.execute(select(payments.c.office, payments.c.tender, func.sum(payments.c.amount_minor), func.count())
                 .where(payments.c.captured_at >= today, payments.c.voided_at.is_(None))
                 .group_by(payments.c.office, payments.c.tender)).all()
    conn.execute(select(agents).order_by(agents.c.agent_id)).all()
    unlinked_count(conn)
    conn.execute(select(deliveries.c.status, func.count()).where(deliveries.c.status.in_(["pending", "dead"]))
                 .group_by(deliveries.c.status)).all()


def page_thousand_cursor(db: Database) -> tuple[str, float]:
    """The cursor of page 1,000 of the payments list, by following 999 next cursors."""
    started, cursor = time.monotonic(), None
    with db.connect() as conn:
        for _ in range(999):
            cursor = search_page(conn, PaymentFilter(limit=PAGE, cursor=cursor)).next_cursor
    return cursor, time.monotonic() - started


def measure_queries(db: Database, repeat: int, s: dict) -> tuple[dict[str, float], str]:
    results = {}
    for name, make in payment_searches(s).items():
        def page_and_total(conn, i, make=make, up_to=None):
            f = make(i)
            f.limit = PAGE
            search_page(conn, f)
            count(conn, f, up_to=up_to)
        results[name] = timed(db, repeat, page_and_total)
        results[f"{name} (total up to {COUNT_UP_TO:,})"] = timed(
            db, repeat, lambda conn, i, p=page_and_total: p(conn, i, up_to=COUNT_UP_TO))
    for name, key in (("orders: q = IUV", "iuvs"), ("orders: q = fiscal code", "order_payers")):
        def request(conn, i, key=key):
            for row in order_page(conn, OrderFilter(q=s[key][i], limit=PAGE)).rows:
                order_view(conn, row)
        results[name] = timed(db, repeat, request)
    results["dashboard queries"] = timed(db, repeat, lambda conn, i: dashboard(conn))
    cursor, walk_s = page_thousand_cursor(db)
    print(f"  (following 999 cursors to page 1,000 took {walk_s:.1f} s in all)", flush=True)
    results["payments page 1,000 by cursor"] = timed(
        db, repeat, lambda conn, i: search_page(conn, PaymentFilter(limit=PAGE, cursor=cursor)))
    results["payments page 1,000 by OFFSET (for contrast)"] = timed(
        db, max(repeat // 3, 3), lambda conn, i: conn.execute(
            select(payments.c.id).order_by(payments.c.captured_at.desc(), payments.c.id.desc())
            .limit(PAGE).offset(PAGE * 999)).all())
    return results, cursor


# -- over HTTP -------------------------------------------------------------------------------------
def run_hub(database_url: str, data_dir: str, port: int, log_path: str) -> None:
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    from hub.config import Settings
    from hub.serve import serve
    serve(Settings(database_url=database_url, data_dir=Path(data_dir), api_port=port), with_ingest=False,
          with_delivery=False)


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def browser_page_load(base_url: str, session_cookie: str | None) -> dict[str, float] | None:
    """The browser's full page load (ms) of each console page, logged in with `session_cookie`.

    Returns None until the console has pages to load."""
    return None


def measure_http(db: Database, repeat: int, s: dict, cursor: str, workdir: Path) -> dict[str, float]:
    with db.begin() as conn:
        token, _ = create_token(conn, "backoffice bench", "admin", "bench")
    port, log = free_port(), workdir / "hub.log"
    hub = mp.get_context("spawn").Process(target=run_hub, args=(db.url, str(workdir), port, str(log)), daemon=True)
    hub.start()
    results = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/metrics")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or not hub.is_alive():
                        raise RuntimeError(f"the hub did not start; see {log}") from None
                    time.sleep(0.2)
            requests = {
                "payments: office + week": lambda i: ("/api/v1/payments", {
                    "office": s["offices"][i], "date_from": s["weeks"][i].isoformat(),
                    "date_to": (s["weeks"][i] + dt.timedelta(days=6)).isoformat(), "limit": PAGE}),
                "payments: unlinked cash": lambda i: ("/api/v1/payments", {"status": "unlinked", "tender": "cash",
                                                                           "limit": PAGE}),
                "payments: payer fiscal code": lambda i: ("/api/v1/payments", {"payer": s["payers"][i]}),
                "orders: q = IUV": lambda i: ("/api/v1/orders", {"q": s["iuvs"][i], "limit": PAGE}),
                "orders: q = fiscal code": lambda i: ("/api/v1/orders", {"q": s["order_payers"][i], "limit": PAGE}),
                "payments page 1,000 by cursor": lambda i: ("/api/v1/payments", {"cursor": cursor, "limit": PAGE}),
            }
            for name, make in requests.items():
                samples = []
                for i in range(repeat):
                    path, params = make(i)
                    started = time.perf_counter()
                    response = client.get(path, params=params)
                    samples.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                results[name] = p95(samples)
            loads = browser_page_load(f"http://127.0.0.1:{port}", None)
    finally:
        hub.terminate()
        hub.join(10)
    if loads is None:
        print("  browser full page load: not measured yet: console pages not built", flush=True)
    else:
        results.update({f"browser: {page}": ms for page, ms in loads.items()})
    return results


# -- the run ---------------------------------------------------------------------------------------
PG_SCHEMA = "bench_backoffice"


def postgres_server() -> str:
    return os.environ.get("CP_TEST_PG_URL") or subprocess.run(
        [str(ROOT / "scripts" / "postgres-test-db.sh")], capture_output=True, text=True, check=True).stdout.strip()


def postgres_url(server: str) -> str:
    """A schema of the bench's own on the test server (CP_TEST_PG_URL, else scripts/postgres-test-db.sh)."""
    with create_engine(server).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}"))
    return f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def drop_postgres(server: str) -> None:
    with create_engine(server).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))


def report(dialect: str, how: str, results: dict[str, float]) -> None:
    for name, ms in results.items():
        contrast = "contrast" in name
        met = None if contrast else ms <= TARGET_MS
        print(f"  {dialect:10} {how:11} {name:45} p95 {ms:8.1f} ms"
              f"{'' if contrast else '  ok' if met else '  OVER TARGET'}", flush=True)
        record("backoffice", f"{dialect} {how}: {name} p95", round(ms, 1), "ms",
               "" if contrast else f"<= {TARGET_MS:.0f}", met)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30, help="requests per figure (p95 over these)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--workdir", type=Path, help="where the SQLite database goes (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data for the next run")
    parser.add_argument("--quick", action="store_true", help="50,000 payments, 10,000 orders, 10 requests each")
    args = parser.parse_args()
    if args.quick:
        args.payments, args.orders, args.repeat = 50_000, 10_000, 10
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cp-bench-backoffice-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{args.payments:,} payments, {args.orders:,} orders; p95 over {args.repeat} requests; "
          f"target <= {TARGET_MS:.0f} ms", flush=True)
    for dialect in [args.only] if args.only else ["sqlite", "postgresql"]:
        server = postgres_server() if dialect == "postgresql" else None
        url = (postgres_url(server) if server else
               f"sqlite:///{workdir / f'backoffice-{args.payments}-{args.orders}.db'}")
        print(f"\n{dialect}: generating", flush=True)
        db = Database.open(url)
        try:
            generate(db, args.payments, args.orders)
            s = samples_of(db, args.repeat)
            print(f"{dialect}: measuring", flush=True)
            queries, cursor = measure_queries(db, args.repeat, s)
            report(dialect, "query", queries)
            report(dialect, "HTTP", measure_http(db, args.repeat, s, cursor, workdir))
        finally:
            db.dispose()
            if not args.keep:
                if server:
                    drop_postgres(server)
                else:
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
