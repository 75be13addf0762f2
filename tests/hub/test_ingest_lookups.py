"""The ingest's per-batch lookups must search indexes, never scan whole tables.

A dedup query that scans costs time in proportion to every event ever stored: fine
in a short test, ruinous after a year at a busy office.  SQLite's EXPLAIN QUERY PLAN
says which it does.
"""

from __future__ import annotations

from sqlalchemy import select

from hub.ingest.store import _known, pairs_query
from hub.store.db import Database
from hub.store.tables import events, payments, voids


def _plan(conn, sql, params) -> str:
    return " | ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))


def test_known_event_payment_and_void_lookups_search_the_unique_indexes(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'hub.db'}")
    keys = [("desk-1", "m1"), ("desk-1", "m2"), ("desk-2", "m9")]
    with db.connect() as conn:
        for columns, select_list in (((events.c.agent_id, events.c.message_id), None),
                                     ((payments.c.agent_id, payments.c.payment_id), None),
                                     ((voids.c.agent_id, voids.c.payment_id), "*")):
            plan = _plan(conn, *pairs_query(conn, columns, keys, select_list))
            table = columns[0].table.name
            assert f"SEARCH {table}" in plan and f"SCAN {table}" not in plan, plan


def test_known_finds_exactly_the_stored_pairs(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'hub.db'}")
    rows = [{"agent_id": a, "message_id": m, "seq": n, "type": "payment.captured", "time": "t",
             "received_at": "t", "envelope": "{}", "ack": "x"}
            for n, (a, m) in enumerate([("desk-1", "m1"), ("desk-2", "m1"), ("desk-2", "m2")], 1)]
    with db.begin() as conn:
        conn.execute(events.insert(), rows)
        asked = [("desk-1", "m1"), ("desk-1", "m2"), ("desk-2", "m2"), ("desk-3", "m1")]
        assert _known(conn, (events.c.agent_id, events.c.message_id), asked) == \
            {("desk-1", "m1"): True, ("desk-2", "m2"): True}
        assert len(conn.execute(select(events)).all()) == 3
