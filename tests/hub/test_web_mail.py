"""Notices by e-mail in the console over real HTTP, to a real SMTP server: "Mail notices" mails the
unpaid orders of the operator's offices only, audited under her name; the request's page follows
the counts (its htmx part alone on an htmx request) and shows a refusal with the server's answer,
as does the order's page; a role without `notices.send` is refused."""

from __future__ import annotations

from sqlalchemy import select

from hub.store.tables import audit_log
from hub.store.tables_mail import notice_send_requests
from tests.hub.mail_support import SENDER, Mailbox, smtp_server
from tests.hub.search_rows import add_orders, order_row
from tests.hub.web_support import console
from tests.support.waiting import wait_until


def _orders(hub):
    add_orders(hub.db, [order_row(order_id, office=office, payer_email=email, payer_language="it")
                        for order_id, office, email in (("ORDW1", "ROMA-1", "uno@example.org"),
                                                        ("ORDW2", "ROMA-1", "due@example.org"),
                                                        ("ORDW3", "MILANO-2", "tre@example.org"),
                                                        ("ORDW4", "ROMA-1", None))])


def _smtp(port: int) -> dict:
    return {"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER, "rate_per_second": 1000,
            "first_retry_s": 0.05}


def test_mail_notices_mails_the_operators_offices_unpaid_orders_and_the_page_follows_them(tmp_path):
    mailbox = Mailbox(refuse_rcpt={"due@example.org": "550 5.1.1 <due@example.org>: mailbox unavailable"})
    with smtp_server(mailbox) as port, console(tmp_path, smtp=_smtp(port)) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        _orders(hub)
        anna = hub.client()
        anna.login("anna")
        assert 'href="/notices/mail"' in anna.get("/").text
        sent = anna.post("/notices/mail/send", data={"csrf_token": anna.csrf, "office": "", "due_before": ""})
        assert sent.status_code == 303
        page_url = sent.headers["location"].split("?")[0]
        wait_until(lambda: 'data-state="queued">0<' in anna.get(page_url).text
                   and 'data-state="sending">0<' in anna.get(page_url).text, 10, "the request to finish")
        assert mailbox.recipients() == ["uno@example.org"]                 # MILANO-2's order is not hers
        page = anna.get(page_url).text
        assert 'data-state="sent">1<' in page and 'data-state="refused">1<' in page
        assert 'data-state="skipped">1<' in page and "ORDW4" in page      # no payer e-mail
        assert "550 5.1.1 &lt;due@example.org&gt;: mailbox unavailable" in page
        part = anna.get(page_url, headers={"HX-Request": "true"})
        assert part.text.lstrip().startswith('<div id="mail-progress"') and "<html" not in part.text
        assert "hx-trigger" not in part.text                                 # finished: no more reloads
        order_page = anna.get("/orders/ORDW2").text
        assert 'id="order-mails"' in order_page and "mailbox unavailable" in order_page
        listing = anna.get("/notices/mail").text
        assert page_url.rsplit("/", 1)[1] in listing
        with hub.db.connect() as conn:
            actors = conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "notices.send")).scalars().all()
        assert actors == ["user:anna"]


def test_the_orders_page_mails_its_own_notice_once(tmp_path):
    mailbox = Mailbox()
    with smtp_server(mailbox) as port, console(tmp_path, smtp=_smtp(port)) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        _orders(hub)
        anna = hub.client()
        anna.login("anna")
        assert 'id="mail-order"' in anna.get("/orders/ORDW1").text
        assert 'id="mail-order"' not in anna.get("/orders/ORDW4").text      # no e-mail to mail to
        for _ in range(2):
            assert anna.post("/notices/mail/send", data={"csrf_token": anna.csrf, "order": "ORDW1"}).status_code == 303
            wait_until(lambda: 'data-state="sent"' in anna.get("/orders/ORDW1").text, 10, "the message sent")
        assert anna.post("/notices/mail/send", data={"csrf_token": anna.csrf, "order": "ORDW3"}).status_code == 404
    assert mailbox.recipients() == ["uno@example.org"]


def test_a_run_stopped_by_an_unusable_server_says_so_on_every_api_process(tmp_path):
    # STARTTLS asked of a server that offers none: the run stops, the rows stay queued.
    smtp = {**_smtp(0), "security": "starttls"}
    with smtp_server(Mailbox()) as port, console(tmp_path, smtp={**smtp, "port": port}) as hub:
        hub.user("anna", "operator", ["ROMA-1"])
        _orders(hub)
        anna = hub.client()
        anna.login("anna")
        sent = anna.post("/notices/mail/send", data={"csrf_token": anna.csrf, "order": "ORDW1"})
        page_url = sent.headers["location"].split("?")[0]
        wait_until(lambda: 'id="mail-stopped"' in anna.get(page_url).text, 10, "the stop shown")
        # Kept with the request, not in this process: another API process's page reads the same row.
        with hub.db.connect() as conn:
            stopped = conn.execute(select(notice_send_requests.c.stopped)).scalar_one()
        assert "does not offer what [smtp] asks" in stopped


def test_a_role_without_notices_send_is_refused_and_a_hub_without_smtp_says_so(tmp_path):
    with console(tmp_path) as hub:
        hub.user("fiona", "finance")
        hub.user("boss", "admin")
        _orders(hub)
        fiona = hub.client()
        fiona.login("fiona")
        assert fiona.get("/notices/mail").status_code == 403
        assert fiona.post("/notices/mail/send", data={"csrf_token": fiona.csrf}).status_code == 403
        boss = hub.client()
        boss.login("boss")
        assert 'id="mail-not-configured"' in boss.get("/notices/mail").text
        assert boss.post("/notices/mail/send", data={"csrf_token": boss.csrf}).status_code == 409
