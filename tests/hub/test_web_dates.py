"""Dates and numbers on the agents, deliveries and audit pages in the viewer's language, not as
the RFC 3339 text they are stored as."""

from __future__ import annotations

import re

import pytest

from hub.users import service
from tests.hub.ops_support import agent, delivery
from tests.hub.web_support import PASSWORD, console

STORED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


@pytest.mark.parametrize("path", ["/agents", "/agents/desk-roma-1", "/deliveries/dead", "/deliveries/ev-1",
                                  "/audit", "/enrollment-tokens", "/"])
def test_a_polish_user_reads_dates_the_polish_way(tmp_path, path):
    with console(tmp_path) as hub:
        with hub.db.begin() as conn:
            agent(conn, "desk-roma-1", "ROMA-1", serial="0a01")
            delivery(conn, "ev-1", "desk-roma-1")
            service.create(conn, "piotr", PASSWORD, "admin", None, "test", language="pl")
        piotr = hub.client()
        piotr.login("piotr")
        piotr.post("/enrollment-tokens", data={"csrf_token": piotr.csrf, "office": "ROMA-1", "hours": "48"})
        shown = piotr.get(path)
        assert shown.status_code == 200
        main = shown.text.split("<main", 1)[1].split("</main>", 1)[0]
        main = re.sub(r"<code>.*?</code>", "", main)              # an audit entry's details are data, kept as stored
        assert STORED.search(main) is None, STORED.search(main).group(0)
        if path in ("/agents", "/agents/desk-roma-1"):
            assert "lis 2027" in main                      # the certificate's expiry, 22 November 2027
