"""A secret kept for the redirect's page waits in the database, sealed: it is read once, by its own
session, from any hub process on that database, and not after SHOWN_FOR_S; the database holds
nothing that opens it, and nothing at all once it is read."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from sqlalchemy import select

from hub.store.tables_users import shown_once
from hub.users.sessions import hash_session_id
from hub.web.shown_once import SHOWN_FOR_S, Secret, keep_sealed, take_sealed, unseal
from tests.hub.web_support import console

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.timezone.utc)
SECRET = re.compile(r'<p class="secret" id="shown-secret">([^<]+)</p>')


def _session(session_id: str):
    return SimpleNamespace(id_hash=hash_session_id(session_id))


def _keep(db, session_id: str, secret: Secret, now=NOW) -> None:
    with db.begin() as conn:
        keep_sealed(conn, _session(session_id), session_id, secret, now)


def _take(db, session_id: str, now=NOW) -> Secret | None:
    with db.begin() as conn:
        return take_sealed(conn, _session(session_id), session_id, now)


def test_a_kept_secret_is_taken_once_and_only_by_its_session(hub_db):
    _keep(hub_db, "cookie-a", Secret("tokens.created", "cph_secret", {"name": "exporter"}))
    assert _take(hub_db, "cookie-b") is None
    assert _take(hub_db, "cookie-a") == Secret("tokens.created", "cph_secret", {"name": "exporter"})
    assert _take(hub_db, "cookie-a") is None


def test_a_secret_not_read_in_time_is_dropped(hub_db):
    _keep(hub_db, "cookie-a", Secret("tokens.created", "cph_secret"))
    assert _take(hub_db, "cookie-a", now=NOW + dt.timedelta(seconds=SHOWN_FOR_S)) is None
    with hub_db.connect() as conn:
        assert conn.execute(select(shown_once)).all() == []


def test_the_database_holds_nothing_that_opens_a_waiting_secret_and_nothing_after_its_read(hub_db):
    _keep(hub_db, "cookie-a", Secret("enrollment.created", "cpe_plaintext", {"office": "ROMA-1"}))
    with hub_db.connect() as conn:
        (row,) = conn.execute(select(shown_once)).mappings().all()
    assert "cpe_plaintext" not in row["sealed"] and "ROMA-1" not in row["sealed"]
    assert "cpe_plaintext".encode().hex() not in row["sealed"]
    # What the database knows of the session, its hash, is no key to the secret.
    assert unseal(row["session_hash"], row["sealed"], row["session_hash"]) is None
    assert _take(hub_db, "cookie-a").secret == "cpe_plaintext"
    with hub_db.connect() as conn:
        assert conn.execute(select(shown_once)).all() == []


def test_a_second_secret_replaces_one_not_read_and_expired_ones_are_swept(hub_db):
    _keep(hub_db, "cookie-old", Secret("tokens.created", "lost"), now=NOW - dt.timedelta(seconds=SHOWN_FOR_S))
    _keep(hub_db, "cookie-a", Secret("tokens.created", "first"))
    _keep(hub_db, "cookie-a", Secret("tokens.created", "second"))
    with hub_db.connect() as conn:
        assert conn.execute(select(shown_once.c.session_hash)).scalars().all() == [hash_session_id("cookie-a")]
    assert _take(hub_db, "cookie-a").secret == "second"


def test_a_second_hub_process_on_the_database_shows_the_secret_once_and_only_once(tmp_path):
    with console(tmp_path) as first, console(tmp_path) as second:
        assert first.db.url == second.db.url and first.url != second.url
        first.user("boss", "admin")
        here = first.client()
        assert here.login("boss").status_code == 303
        there = second.client()
        there.cookies = here.cookies            # the same browser, sent to the other process by the proxy
        created = here.post("/tokens", data={"csrf_token": here.csrf, "name": "exporter", "role": "auditor"})
        assert created.status_code == 303
        shown = SECRET.search(there.get(created.headers["location"]).text)
        assert shown is not None and shown.group(1).startswith("cph_")
        assert SECRET.search(there.get("/tokens").text) is None
        assert SECRET.search(here.get("/tokens").text) is None
