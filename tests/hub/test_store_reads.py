"""Reads never wait for writers, and a read connection cannot write."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from hub.store.tables import audit_log


def test_a_read_completes_while_a_writer_holds_its_transaction(hub_db):
    writing, release, done = threading.Event(), threading.Event(), threading.Event()

    def writer():
        with hub_db.begin() as conn:
            conn.execute(audit_log.insert().values(at="2026-12-03T00:00:00Z", actor="test", action="hold",
                                                   subject="s", details="{}", prev_hash="0" * 64,
                                                   hash="1" * 64))
            writing.set()
            release.wait(20)

    counted = []

    def reader():
        with hub_db.connect() as conn:
            counted.append(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
        done.set()

    holder = threading.Thread(target=writer)
    holder.start()
    try:
        assert writing.wait(10), "the writer never started its transaction"
        threading.Thread(target=reader, daemon=True).start()
        assert done.wait(5), "the read waited for the writer's transaction"
        assert counted == [0], "the read saw an uncommitted row"
    finally:
        release.set()
        holder.join(20)


def test_a_write_through_a_read_connection_is_refused(hub_db):
    with pytest.raises(DBAPIError):
        with hub_db.connect() as conn:
            conn.execute(audit_log.insert().values(at="2026-12-03T00:00:00Z", actor="test", action="sneak",
                                                   subject="s", details="{}", prev_hash="0" * 64,
                                                   hash="1" * 64))
    with hub_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 0
    with hub_db.begin() as conn:     # the pooled connection writes again when asked to
        conn.execute(audit_log.insert().values(at="2026-12-03T00:00:00Z", actor="test", action="ok",
                                               subject="s", details="{}", prev_hash="0" * 64, hash="1" * 64))
