"""A secret kept for the redirect's page is read once, by its own session, and not after SHOWN_FOR_S."""

from __future__ import annotations

from types import SimpleNamespace

from hub.web import shown_once
from hub.web.shown_once import Secret, ShownOnce


def _session(id_hash: str):
    return SimpleNamespace(id_hash=id_hash)


def test_a_kept_secret_is_taken_once_and_only_by_its_session():
    store = ShownOnce()
    store.keep(_session("a"), Secret("tokens.created", "cp_secret", {"name": "x"}))
    assert store.take(_session("b")) is None
    assert store.take(_session("a")).secret == "cp_secret"
    assert store.take(_session("a")) is None


def test_a_secret_not_read_in_time_is_dropped(monkeypatch):
    store, clock = ShownOnce(), [1000.0]
    monkeypatch.setattr(shown_once.time, "monotonic", lambda: clock[0])
    store.keep(_session("a"), Secret("tokens.created", "cp_secret"))
    clock[0] += shown_once.SHOWN_FOR_S
    assert store.take(_session("a")) is None
