"""Export notices from the orders page over real HTTP: the listing's filters, the user's offices,
the permission (admin, operator, finance; not supervisor nor auditor) and the audit log."""

from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy import select

from hub.store.tables import audit_log
from tests.hub.search_rows import add_orders, order_row
from tests.hub.web_support import console


def _orders(hub) -> None:
    add_orders(hub.db, [order_row("ORDA1", office="ROMA-1", payer_name="Maria Rossi", due_date="2031-01-31"),
                        order_row("ORDA2", office="ROMA-1", payer_name="Luca Bianchi", due_date="2031-06-30",
                                  created_at="2026-11-02T08:00:00.000Z"),
                        order_row("ORDB1", office="MILANO-2", reference="RF18B1")])


def test_the_orders_pages_filters_choose_the_notices_and_the_export_is_audited(tmp_path):
    with console(tmp_path) as hub:
        _orders(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        page = anna.get("/orders?due_to=2031-02-01").text
        form = re.search(r'<form method="get" action="/orders/notices.zip".*?</form>', page, re.S).group(0)
        assert 'name="due_to" value="2031-02-01"' in form
        answer = anna.get("/orders/notices.zip?due_to=2031-02-01")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
        assert zipfile.ZipFile(io.BytesIO(answer.content)).namelist() == ["ORDA1.pdf", "postal.csv"]
        everything = zipfile.ZipFile(io.BytesIO(anna.get("/orders/notices.zip").content)).namelist()
        assert everything == ["ORDA1.pdf", "ORDA2.pdf", "postal.csv"]          # never another office's
        with hub.db.connect() as conn:
            actors = conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "notices.export")).scalars()
            assert [actor.endswith("anna") for actor in actors] == [True, True]


def test_filters_that_find_nothing_say_so_on_the_orders_page(tmp_path):
    with console(tmp_path) as hub:
        _orders(hub)
        hub.user("anna", "operator", ["ROMA-1"])
        anna = hub.client()
        anna.login("anna")
        answer = anna.get("/orders/notices.zip?q=nobody-at-all", follow_redirects=True)
        assert answer.status_code == 200 and "No order to export" in answer.text


def test_only_roles_with_notices_export_see_the_form_and_may_download(tmp_path):
    with console(tmp_path) as hub:
        _orders(hub)
        for name, role in (("fina", "finance"), ("sam", "supervisor"), ("otto", "auditor"), ("adam", "admin")):
            hub.user(name, role)
            visitor = hub.client()
            visitor.login(name)
            allowed = role in ("finance", "admin")
            assert ('action="/orders/notices.zip"' in visitor.get("/orders").text) == allowed, role
            assert (visitor.get("/orders/notices.zip").status_code == 200) == allowed, role
