"""The scheduled jobs (`hub serve --role jobs`, hub/jobs/runner.py) and the retention they run:
two runners due at once do not both run a job, a failing job stops nothing, and retention
removes what has ended long ago and keeps the rest."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import func, select

from hub.jobs.runner import Job, run_due
from hub.store.tables_users import login_attempts, shown_once, user_sessions
from hub.store.timeutil import iso
from hub.users import retention, service


def test_two_runners_due_at_once_run_a_job_once(hub_db):
    runs, barrier = [], threading.Barrier(2)

    def slow(_db) -> str:
        runs.append(time.monotonic())
        time.sleep(0.5)
        return "done"

    jobs = (Job("retention", 3600.0, slow),)
    ran: list[list[str]] = []

    def runner() -> None:
        barrier.wait()
        ran.append(run_due(hub_db, jobs, {}, time.monotonic()))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(runs) == 1 and sorted(map(len, ran)) == [0, 1]


def test_a_failing_job_is_logged_and_the_next_one_still_runs(hub_db, caplog):
    def broken(_db) -> str:
        raise RuntimeError("disk on fire")

    jobs = (Job("broken", 60.0, broken), Job("fine", 60.0, lambda _db: "ok"))
    next_at: dict[str, float] = {}
    assert run_due(hub_db, jobs, next_at, 1000.0) == ["fine"]
    assert "job broken failed" in caplog.text
    assert run_due(hub_db, jobs, next_at, 1030.0) == []                 # not due again yet
    assert run_due(hub_db, jobs, next_at, 1061.0) == ["fine"]


def test_retention_removes_what_ended_long_ago_and_keeps_the_rest(hub_db):
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.timezone.utc)
    old, recent = now - dt.timedelta(days=120), now - dt.timedelta(days=10)
    with hub_db.begin() as conn:
        user = service.create(conn, "olga", "correct horse battery staple", "operator", ["riga-1"], "test")
        for at in (old, recent):
            conn.execute(login_attempts.insert().values(at=iso(at), username="olga", address="10.0.0.1",
                                                        succeeded=False))
        for name, created, revoked in (("old-ended", old, old), ("old-expired", old, None),
                                       ("recent-ended", recent, recent), ("open", now, None)):
            conn.execute(user_sessions.insert().values(
                id_hash=name, user_id=user.id, csrf_token="x", created_at=iso(created), last_seen=iso(created),
                expires_at=iso(created + dt.timedelta(hours=12)), revoked_at=iso(revoked) if revoked else None))
        conn.execute(shown_once.insert().values(session_hash="open", sealed="00",
                                                expires_at=iso(now - dt.timedelta(minutes=1))))
    with hub_db.begin() as conn:
        removed = retention.remove_expired(conn, now)
    assert (removed.login_attempts, removed.sessions, removed.shown_once) == (1, 2, 1)
    with hub_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(login_attempts)).scalar_one() == 1
        assert set(conn.execute(select(user_sessions.c.id_hash)).scalars()) == {"recent-ended", "open"}
    with hub_db.begin() as conn:
        again = retention.remove_expired(conn, now)                     # safe to run twice
    assert (again.login_attempts, again.sessions, again.shown_once) == (0, 0, 0)
