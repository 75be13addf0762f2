"""One job at a time across hub processes (hub/store/locks.py), on SQLite and PostgreSQL:
a second taker is refused while the first holds the lock, a holder killed with -9 frees it,
and transaction locks make a second transaction wait for the first one's commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from hub.store import locks

pytestmark = pytest.mark.timeout(60)

_HOLDER = """
import sys, time
from hub.store import locks
from hub.store.db import Database
db = Database.open(sys.argv[1], migrate=False)
with locks.held_alone(db, sys.argv[2]) as mine:
    print("held" if mine else "refused", flush=True)
    time.sleep(120)
"""


def _holder(url: str, name: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", _HOLDER, url, name], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_process_does_not_get_the_lock_until_the_holder_is_killed(hub_db):
    child = _holder(hub_db.url, "retention")
    try:
        with locks.held_alone(hub_db, "retention") as mine:
            assert mine is False
        with locks.held_alone(hub_db, "reconciliation") as other:
            assert other is True                          # another name is another lock
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    deadline = time.monotonic() + 10
    while True:      # PostgreSQL notices the closed connection a moment later
        with locks.held_alone(hub_db, "retention") as mine:
            if mine or time.monotonic() > deadline:
                break
        time.sleep(0.05)
    assert mine is True


def test_two_takers_at_once_in_one_process_do_not_both_run(hub_db):
    started, running, most = threading.Barrier(4), [0], [0]
    guard = threading.Lock()
    ran = []

    def job() -> None:
        started.wait()
        with locks.held_alone(hub_db, "mail-send.x") as mine:
            if not mine:
                return
            with guard:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.3)
            ran.append(1)
            with guard:
                running[0] -= 1

    threads = [threading.Thread(target=job) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert most[0] == 1 and len(ran) == 1
    with locks.held_alone(hub_db, "mail-send.x") as mine:
        assert mine is True                               # released when the one that ran was done


def test_a_transaction_lock_makes_the_second_wait_for_the_first_commit(hub_db):
    if hub_db.dialect_name != "postgresql":
        pytest.skip("SQLite: a write transaction holds the whole database already")
    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with hub_db.begin() as conn:
            locks.transaction_lock(conn, "reconciliation")
            first_in.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with hub_db.begin() as conn:
        locks.transaction_lock(conn, "reconciliation")
        order.append("second in")
    thread.join(10)
    assert order == ["first done", "second in"]


def test_a_lock_name_is_checked(hub_db):
    with pytest.raises(ValueError, match="lock name"):
        with locks.held_alone(hub_db, "no spaces; or quotes'"):
            pass
    with pytest.raises(ValueError, match="lock name"), hub_db.begin() as conn:
        locks.transaction_lock(conn, "")
