"""The store: durable settings, migrations that keep a non-empty outbox, clear disk errors."""

from __future__ import annotations

import os
import sqlite3

import pytest

from agent.outbox import Outbox
from agent.store import Store, StoreError
from agent.store.migrations import LATEST

from tests.agent.conftest import AGENT_ID


def test_store_uses_wal_and_full_sync(tmp_path):
    store = Store.open(tmp_path / "agent.db")
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA synchronous") == 2          # FULL
    assert store.schema_version == LATEST


def test_migrations_keep_every_outbox_row_and_the_sequence(tmp_path, keys):
    path = tmp_path / "agent.db"
    old = Store.open(path, target_version=1)
    assert old.schema_version == 1
    outbox = Outbox(old, AGENT_ID, keys.agent)
    rows = [outbox.append("diagnostics.report", {"info": {"n": n}}) for n in range(25)]
    old.db.execute("INSERT INTO payers(id, name, last_seen) VALUES ('85010112345', 'Jan KOWALSKI', 'x')")
    old.close()

    upgraded = Store.open(path)
    assert upgraded.schema_version == LATEST
    kept = Outbox(upgraded, AGENT_ID, keys.agent)
    pending = kept.pending(limit=100)
    assert [(r.seq, r.message_id, r.envelope) for r in pending] == [(r.seq, r.message_id, r.envelope) for r in rows]
    assert kept.append("diagnostics.report", {"info": {}}).seq == 26     # numbering goes on
    assert upgraded.query("SELECT name_folded FROM payers") == [{"name_folded": "jan kowalski"}]


def test_sequence_survives_restart_and_pruning(tmp_path, keys):
    path = tmp_path / "agent.db"
    store = Store.open(path)
    outbox = Outbox(store, AGENT_ID, keys.agent)
    first = [outbox.append("diagnostics.report", {"info": {}}) for _ in range(3)]
    outbox.mark_acked([(r.message_id, "stored") for r in first])
    store.db.execute("UPDATE outbox SET acked_at = '2000-01-01T00:00:00Z'")
    assert outbox.prune_acked(older_than_days=1) == 3
    store.close()
    again = Outbox(Store.open(path), AGENT_ID, keys.agent)
    assert again.append("diagnostics.report", {"info": {}}).seq == 4


def test_a_store_from_a_newer_agent_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "agent.db"
    Store.open(path).db.execute("INSERT INTO schema_version VALUES (99, 'future', 'x')")
    with pytest.raises(StoreError, match="newer than this agent"):
        Store.open(path)


def test_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "agent.db"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StoreError, match="not a readable counterpay store"):
        Store.open(path)


@pytest.mark.skipif(os.geteuid() == 0 and not os.path.exists("/proc/self/mountinfo"), reason="needs /proc")
def test_read_only_store_refuses_writes_and_keeps_the_journal(tmp_path, keys):
    path = tmp_path / "agent.db"
    store = Store.open(path)
    outbox = Outbox(store, AGENT_ID, keys.agent)
    outbox.append("diagnostics.report", {"info": {"before": True}})
    store.close()
    # Read-only by the SQLite open flag: running as root ignores file modes.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    read_only = Store(conn, str(path))
    with pytest.raises(StoreError, match="read-only"):
        Outbox(read_only, AGENT_ID, keys.agent).append("diagnostics.report", {"info": {}})
    assert read_only.scalar("SELECT COUNT(*) FROM outbox") == 1


def test_full_disk_is_reported_and_nothing_half_written(tmp_path, keys):
    store = Store.open(tmp_path / "agent.db")
    outbox = Outbox(store, AGENT_ID, keys.agent)
    outbox.append("diagnostics.report", {"info": {}})
    pages = store.scalar("PRAGMA page_count")
    store.conn.execute(f"PRAGMA max_page_count = {pages}")        # the file may not grow: a full disk
    with pytest.raises(StoreError, match="full"):
        for n in range(2000):
            outbox.append("diagnostics.report", {"info": {"padding": "x" * 180, "n": n}})
    assert store.scalar("SELECT COUNT(*) FROM outbox") == store.scalar("SELECT MAX(seq) FROM outbox")
    assert store.get_setting("outbox_seq") == store.scalar("SELECT MAX(seq) FROM outbox")


def test_journal_never_stores_a_full_card_number(tmp_path):
    from agent.journal import SqliteJournal
    from agent.terminal.base import Intent, IntentKind, Outcome, TerminalResult
    store = Store.open(tmp_path / "agent.db")
    journal = SqliteJournal(store)
    journal.record_intent(Intent("i-1", IntentKind.PAYMENT, 1500, "EUR"))
    journal.record_outcome(TerminalResult("i-1", Outcome.APPROVED, "approved 4111111111111111", 1500, "EUR",
                                          masked_pan="4111111111111111",
                                          receipt_lines=["CARD 4111 1111 1111 1111", "AMOUNT 15.00", "TRACE 000123"]))
    raw = store.conn.execute("SELECT outcome FROM journal").fetchone()[0]
    assert "4111111111111111" not in raw and "4111 1111 1111" not in raw
    assert "1111" in raw and "TRACE 000123" in raw and "AMOUNT 15.00" in raw
