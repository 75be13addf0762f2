"""The dashboard over real HTTP: figures within the viewer's office scope, texts in the user's language."""

from __future__ import annotations

import datetime as dt
import re

from hub.store.tables import payments
from hub.store.timeutil import iso
from hub.users.scope import Scope
from tests.hub.web_support import console


def _payment(conn, n: int, office: str, amount: int, *, linked: bool = True) -> None:
    now = iso(dt.datetime.now(dt.timezone.utc))
    conn.execute(payments.insert().values(
        agent_id=f"desk-{office}", payment_id=f"p-{n}", message_id=f"m-{n}", receipt_id=f"R-{n}", office=office,
        kind="payment", amount_minor=amount, currency="EUR", tender="cash", reference_format="case",
        reference_value=f"CASE-{n}", captured_at=now, received_at=now,
        link_status="linked" if linked else "unlinked", body={}))


def _unlinked(page: str) -> str:
    return re.search(r'id="unlinked-count">(?:<a href="/payments/unlinked">)?([^<]*)<', page).group(1)


def test_an_operator_of_office_a_sees_only_office_a_on_the_dashboard(tmp_path):
    with console(tmp_path) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        hub.user("boss", "admin")
        with hub.db.begin() as conn:
            _payment(conn, 1, "ROMA-1", 1250)
            _payment(conn, 2, "MILANO-2", 98765, linked=False)
            _payment(conn, 3, "MILANO-2", 100, linked=False)
        anna = hub.client()
        anna.login("anna")
        page = anna.get("/").text
        assert "€12.50" in page and "MILANO-2" not in page and "€987.65" not in page
        assert _unlinked(page) == "0"
        boss = hub.client()
        boss.login("boss")
        page = boss.get("/").text
        assert "€12.50" in page and "€988.65" in page and _unlinked(page) == "2"
        # the htmx refresh returns the figures alone, in the same scope
        fragment = anna.get("/", headers={"HX-Request": "true"}).text
        assert fragment.lstrip().startswith("<div id=\"figures\"") and "MILANO-2" not in fragment


def test_an_unlinked_queue_longer_than_the_count_bound_says_more_than(tmp_path, monkeypatch):
    monkeypatch.setattr("hub.web.figures.COUNT_UP_TO", 2)     # 10,000 in use
    with console(tmp_path) as hub:
        hub.user("boss", "admin")
        with hub.db.begin() as conn:
            for n in range(1, 5):
                _payment(conn, n, "ROMA-1", 100, linked=False)
        boss = hub.client()
        boss.login("boss")
        assert _unlinked(boss.get("/").text) == "More than 2"
        monkeypatch.setattr("hub.web.figures.COUNT_UP_TO", 4)
        assert _unlinked(boss.get("/").text) == "4"


def test_the_language_switch_saves_the_users_language(tmp_path):
    with console(tmp_path) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        with hub.db.begin() as conn:
            _payment(conn, 1, "ROMA-1", 123456)
        anna = hub.client()
        anna.login("anna")
        assert anna.post("/language", data={"language": "lv", "next": "/", "csrf_token": anna.csrf}).status_code == 303
        page = anna.get("/").text
        assert 'lang="lv"' in page and "Pārskats" in page and "1\u00a0234,56\u00a0€" in page
        anna.post("/language", data={"language": "el", "next": "/", "csrf_token": anna.csrf})
        assert "Πίνακας ελέγχου" in anna.get("/").text


def test_the_scope_primitive_filters_a_column_and_answers_for_one_office():
    assert Scope.of(["A"]).allows("A") and not Scope.of(["A"]).allows("B") and not Scope.of([]).allows("A")
    assert Scope.everything().allows("B") and Scope.everything().allows(None)
    assert "IN" in str(Scope.of(["A", "B"]).filter(payments.c.office))
