"""Fixtures shared by every area: a real mosquitto broker; how the parallel run shares the machine."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from hub.users import passwords

from tests.support.broker import Mosquitto, have_mosquitto

# With pytest-xdist's --dist loadgroup (the README's test command) these run one after another on
# one worker: the chaos site (one per module, 15-25 s to start, a dozen processes) and the Textual
# pilots are CPU-hungry and timing-sensitive, and must not starve each other.
ONE_AFTER_ANOTHER = ("tests/chaos/test_short_run.py", "tests/agent/test_ui_")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith(ONE_AFTER_ANOTHER):
            item.add_marker(pytest.mark.xdist_group("timing-sensitive"))


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashes():
    """Argon2id at its cheapest for hashes made in the test process: the real parameters cost
    ~150 ms a hash and ~130 ms a login, hundreds of times over.  Hubs the tests start as
    processes keep the real ones, and tests/hub/test_users.py checks those."""
    real_hasher, real_dummy = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("counterpay: no such user")
    yield
    passwords._hasher, passwords._DUMMY_HASH = real_hasher, real_dummy


@pytest.fixture
def mosquitto(tmp_path):
    """A fresh real mosquitto on a free loopback port, stopped after the test."""
    if not have_mosquitto():
        pytest.fail("mosquitto is not installed: run ./quickstart.sh test, which installs it")
    broker = Mosquitto(tmp_path / "broker").start()
    yield broker
    broker.stop()
