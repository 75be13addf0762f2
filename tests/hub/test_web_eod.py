"""The console's end-of-day page over real HTTP: office scope, mismatches first, filters and
keyset pages in the URL, and the dashboard tile that links to the mismatches."""

from __future__ import annotations

import re

from tests.hub.eod_support import Desk, store
from tests.hub.web_support import console

ROW = re.compile(r'<tr class="eod-(matched|mismatch)" data-batch="([^"]+)"')


def _rows(html: str) -> list[tuple[str, str]]:
    return ROW.findall(html)


def _batches(hub) -> None:
    roma, milano = Desk("desk-roma"), Desk("desk-milano")
    store(hub.db, hub.context.event_key,
          roma.card(1500), roma.report(1, 1500, office="ROMA-1"),
          roma.card(900, batch_no=2), roma.report(2, 2500, batch_no=2, office="ROMA-1",
                                                  closed_at="2026-11-22T18:30:00.000Z"),
          milano.card(700, office="MILANO"), milano.report(3, 700, office="MILANO"))


def test_a_supervisor_sees_their_offices_batches_mismatches_first_with_both_figures(tmp_path):
    with console(tmp_path) as hub:
        _batches(hub)
        hub.user("sara", "supervisor", ["ROMA-1"])
        sara = hub.client()
        sara.login("sara")
        page = sara.get("/eod")
        assert page.status_code == 200
        assert _rows(page.text) == [("mismatch", "desk-roma-b2"), ("matched", "desk-roma-b1")]
        assert "<li>EUR: count 2 in the batch, 1 at the hub</li>" in page.text
        assert "<li>the batch totals €25.00, the hub €9.00</li>" in page.text
        assert "desk-milano" not in page.text
        assert _rows(sara.get("/eod?status=matched").text) == [("matched", "desk-roma-b1")]
        assert _rows(sara.get("/eod?date=2026-11-23").text) == []
        assert sara.get("/eod?date=someday").status_code == 422
        tile = re.search(r'id="eod-mismatch-count"><a href="([^"]+)">(\d+)</a>', sara.get("/").text)
        assert tile is not None and tile.groups() == ("/eod?status=mismatch", "1")


def test_an_operator_may_not_open_the_page_and_sees_no_tile(tmp_path):
    with console(tmp_path) as hub:
        _batches(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        assert anna.get("/eod").status_code == 403
        assert 'id="eod-mismatch-count"' not in anna.get("/").text


def test_the_list_pages_by_cursor_and_keeps_its_filters(tmp_path):
    with console(tmp_path) as hub:
        desk = Desk("desk-many")
        reports = [desk.report(1, 100 * n, batch_no=n, closed_at=f"2026-11-22T10:{n:02d}:00.000Z") for n in range(1, 56)]
        store(hub.db, hub.context.event_key, *reports)
        hub.user("fin", "finance")
        fin = hub.client()
        fin.login("fin")
        first = fin.get("/eod?agent=desk-many&status=mismatch")
        assert len(_rows(first.text)) == 50 and _rows(first.text)[0] == ("mismatch", "desk-many-b55")
        after = re.search(r'<a rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
        assert "agent=desk-many" in after and "status=mismatch" in after
        rest = _rows(fin.get(after).text)
        assert [batch for _, batch in rest] == [f"desk-many-b{n}" for n in range(5, 0, -1)]
