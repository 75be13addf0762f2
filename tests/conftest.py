"""Fixtures shared by every area: a real mosquitto broker."""

from __future__ import annotations

import pytest

from tests.support.broker import Mosquitto, have_mosquitto


@pytest.fixture
def mosquitto(tmp_path):
    """A fresh real mosquitto on a free loopback port, stopped after the test."""
    if not have_mosquitto():
        pytest.fail("mosquitto is not installed: run ./quickstart.sh test, which installs it")
    broker = Mosquitto(tmp_path / "broker").start()
    yield broker
    broker.stop()
