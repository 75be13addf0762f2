"""The data of bench/backoffice.py: payments, orders and webhook deliveries of a big hub.

Spread over 20 offices of 10 agents each, a year of dates, card and cash, and payers drawn
from a pool (an order's payments carry its payer): 60 % of payments linked to an order, 1 %
voided, 0.5 % refunds; 70 % of orders pagoPA (IUV and notice number), the rest RF.  One
delivery per linked payment, nearly all delivered.  Loaded with COPY on PostgreSQL and
executemany in big batches on SQLite; seeded, so every run makes the same rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import time

from sqlalchemy import func, select, text

from hub.store.bulk import insert_rows
from hub.store.db import Database
from hub.store.tables import agents, orders, payments
from hub.store.tables_delivery import deliveries
from hub.store.tables_pki import agent_certificates

OFFICES = [f"OFF{n:02d}" for n in range(20)]
AGENTS = [f"{office}-desk-{n}" for office in OFFICES for n in range(10)]
FIRST = ["Maria", "Luca", "Anna", "Marco", "Giulia", "Jānis", "Anna", "Piotr", "Eleni", "Sofia", "Paolo", "Ilze"]
LAST = ["Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Bērziņš", "Kowalski", "Nowak", "Papadopoulos",
        "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa", "Giordano", "Mancini", "Rizzo"]
BATCH = 20_000


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


def delivery_rows(n_payments: int, now: dt.datetime, rng: random.Random):
    """One confirmation per linked payment (as the hub queues them): nearly all delivered, a
    backlog of pending and unrouted ones, some dead letters."""
    for i in range(n_payments):
        if rng.random() >= 0.6:
            continue
        status = rng.choices(["delivered", "pending", "unrouted", "dead"], [0.985, 0.008, 0.004, 0.003])[0]
        at = iso(now - dt.timedelta(seconds=rng.randrange(365 * 86400)))
        yield {"webhook_id": f"msg_{i:08d}", "event_id": f"msg-{i:08d}", "agent_id": rng.choice(AGENTS),
               "type": "payment.confirmed", "case_system": None if status == "unrouted" else "pratiche",
               "case_key": f"PRAT-{i}", "payload": "{}", "status": status, "attempts": 1, "created_at": at,
               "window_started_at": at, "next_attempt_at": at, "last_attempt_at": at, "last_status": 200,
               "last_error": None, "delivered_at": at if status == "delivered" else None,
               "dead_at": at if status == "dead" else None, "replays": 0, "lease_owner": None, "lease_until": None}


def generate(db: Database, n_payments: int, n_orders: int) -> None:
    with db.connect() as conn:
        have = (conn.execute(select(func.count()).select_from(payments)).scalar_one(),
                conn.execute(select(func.count()).select_from(orders)).scalar_one())
        have_deliveries = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
    rng, now = random.Random(12), dt.datetime.now(dt.timezone.utc)
    if have == (n_payments, n_orders):
        print(f"  reusing {n_payments:,} payments and {n_orders:,} orders already there", flush=True)
        if not have_deliveries:     # data generated by an earlier version of this bench
            load(db, deliveries, delivery_rows(n_payments, now, rng), 0, "deliveries")
            with db.begin() as conn:
                certify_agents(conn, now)
        return
    people = payers(max(n_orders * 3 // 4, 100), rng)
    order_list = list(order_rows(n_orders, people, now, rng))
    load(db, orders, iter(order_list), n_orders, "orders")
    load(db, payments, payment_rows(n_payments, order_list, people, now, rng), n_payments, "payments")
    load(db, deliveries, delivery_rows(n_payments, now, rng), 0, "deliveries")
    with db.begin() as conn:
        insert_rows(conn, agents, [{"agent_id": a, "online": rng.random() < 0.9, "version": "1.0", "mode": "clerk",
                                    "outbox_depth": rng.randrange(5), "oldest_age_s": rng.randrange(60),
                                    "last_seen": iso(now), "contiguous_seq": 0, "max_seq": 0} for a in AGENTS])
        certify_agents(conn, now)


def certify_agents(conn, now: dt.datetime) -> None:
    """Each agent's certificate, which names its office (the dashboard scopes agents and deliveries by it)."""
    insert_rows(conn, agent_certificates, [
        {"serial": f"{n:040x}", "agent_id": a, "office": a.split("-")[0], "token_id": None, "issued_at": iso(now),
         "not_after": iso(now + dt.timedelta(days=365)), "certificate_pem": "-", "kid": None, "revoked_at": None,
         "revoked_reason": None} for n, a in enumerate(AGENTS)])


def settle(db: Database) -> None:
    """What a hub that has run a while has: PostgreSQL's statistics and visibility map kept by
    autovacuum (index-only scans need the latter).  SQLite is left as the hub leaves it."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE payments, orders, deliveries"))
