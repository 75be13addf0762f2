"""Notices mailed to a real SMTP server (aiosmtpd on loopback): plain, STARTTLS with AUTH, implicit
TLS; the PDF attached under the order's name, the text in the payer's language; 451 then 250 is
one message, 550 none with the reason kept; a request run again mails nothing twice."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select, update

from hub.mail import ledger
from hub.mail.ledger import Selection, open_request
from hub.mail.selection import select_for_mail
from hub.mail.sender import run_request
from hub.mail.smtp import MailServerUnusable
from hub.mail.status import messages, state_counts
from hub.store.tables import audit_log, orders
from hub.store.tables_mail import notice_messages
from hub.users.scope import Scope
from tests.hub.mail_support import (PASSWORD, SENDER, USERNAME, Mailbox, add_mail_orders, mail_settings, self_signed,
                                    smtp_server)


@pytest.fixture
def database(hub_db):
    """The hub's database: a SQLite file, and a PostgreSQL schema when CP_TEST_PG_URL is set."""
    return hub_db


def send(db, settings, selection: Selection, actor: str = "cli:test"):
    with db.begin() as conn:
        found = select_for_mail(conn, order_ids=list(selection.order_ids), unpaid=selection.unpaid,
                                office=selection.office, due_before=selection.due_before, scope=Scope.everything())
        plan = open_request(conn, selection, found, settings, actor)
    return plan, run_request(db, settings, plan.request_id)


def rows(db, request_id):
    with db.connect() as conn:
        return {row["order_id"]: dict(row) for row in conn.execute(
            select(notice_messages).where(notice_messages.c.request_id == request_id)).mappings()}


def test_a_notice_goes_out_in_the_payers_language_with_its_pdf_named_after_the_order(tmp_path, database):
    [order_id] = add_mail_orders(database, 1, payer_language="lv", payer_name="Jānis Bērziņš", amount_minor=1234)
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        plan, result = send(database, mail_settings(tmp_path, port), Selection(order_ids=(order_id,)))
    assert result.states == {"sent": 1}
    [message] = mailbox.messages
    assert message["Subject"].startswith("Maksājuma paziņojums ")
    assert message["To"].addresses[0].display_name == "Jānis Bērziņš"
    assert message["To"].addresses[0].addr_spec == "payer0@example.org"
    assert message["From"] == SENDER and message["Reply-To"] == "sportello@comune.example"
    assert message["Content-Language"] == "lv"
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Godātais(-ā) Jānis Bērziņš,") and "12,34\xa0€" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"notice-{order_id}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    sent = rows(database, plan.request_id)[order_id]
    assert (sent["state"], sent["attempts"], sent["reply_code"]) == ("sent", 1, 250)
    assert message["Message-ID"] == sent["message_id"]


def test_a_payer_without_a_language_gets_the_offices_language(tmp_path, database):
    [order_id] = add_mail_orders(database, 1)
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        send(database, mail_settings(tmp_path, port), Selection(order_ids=(order_id,)))
    assert mailbox.messages[0]["Subject"].startswith("Avviso di pagamento ")      # [orders] language = "it"


def test_starttls_with_auth_reads_the_password_file_and_trusts_the_configured_ca(tmp_path, database):
    cert = self_signed(tmp_path / "tls")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "smtp.password").write_text(PASSWORD + "\n")
    add_mail_orders(database, 2)
    mailbox = Mailbox()
    with smtp_server(mailbox, security="starttls", cert=cert) as port:
        settings = mail_settings(tmp_path, port, security="starttls", username=USERNAME,
                                 password_file="smtp.password", ca_file=str(cert[0]))
        _, result = send(database, settings, Selection(unpaid=True))
    assert result.states == {"sent": 2}
    assert sorted(mailbox.recipients()) == ["payer0@example.org", "payer1@example.org"]


def test_a_refused_login_stops_the_run_and_leaves_the_messages_queued(tmp_path, database):
    cert = self_signed(tmp_path / "tls")
    [order_id] = add_mail_orders(database, 1)
    mailbox = Mailbox()
    with smtp_server(mailbox, security="starttls", cert=cert) as port:
        settings = mail_settings(tmp_path, port, security="starttls", username=USERNAME, password="wrong",
                                 ca_file=str(cert[0]))
        with pytest.raises(MailServerUnusable, match="refused the login"):
            send(database, settings, Selection(order_ids=(order_id,)))
    assert mailbox.messages == []
    [row] = rows(database, Selection(order_ids=(order_id,)).request_id()).values()
    assert (row["state"], row["attempts"]) == ("queued", 0)


def test_a_server_certificate_not_trusted_is_refused_before_anything_is_sent(tmp_path, database):
    cert = self_signed(tmp_path / "tls")
    [order_id] = add_mail_orders(database, 1)
    mailbox = Mailbox()
    with smtp_server(mailbox, security="tls", cert=cert) as port:
        with pytest.raises(MailServerUnusable, match="ca_file"):
            send(database, mail_settings(tmp_path, port, security="tls"), Selection(order_ids=(order_id,)))
    assert mailbox.messages == []


def test_implicit_tls_as_pec_providers_ask(tmp_path, database):
    cert = self_signed(tmp_path / "tls")
    [order_id] = add_mail_orders(database, 1)
    mailbox = Mailbox()
    with smtp_server(mailbox, security="tls", cert=cert) as port:
        _, result = send(database, mail_settings(tmp_path, port, security="tls", ca_file=str(cert[0])),
                         Selection(order_ids=(order_id,)))
    assert result.states == {"sent": 1} and len(mailbox.messages) == 1


def test_451_then_250_gives_exactly_one_message_on_the_second_attempt(tmp_path, database):
    [order_id] = add_mail_orders(database, 1)
    mailbox = Mailbox(data_answers=["451 4.3.0 Mailbox busy, try again later"])
    with smtp_server(mailbox) as port:
        plan, result = send(database, mail_settings(tmp_path, port), Selection(order_ids=(order_id,)))
    assert mailbox.data_calls == 2 and len(mailbox.messages) == 1
    row = rows(database, plan.request_id)[order_id]
    assert (row["state"], row["attempts"], row["reply_code"]) == ("sent", 2, 250)


def test_temporary_failures_until_max_attempts_leave_the_message_failed(tmp_path, database):
    [order_id] = add_mail_orders(database, 1)
    mailbox = Mailbox(data_answers=["421 4.7.0 too busy"] * 3)
    with smtp_server(mailbox) as port:
        plan, _ = send(database, mail_settings(tmp_path, port, max_attempts=3), Selection(order_ids=(order_id,)))
    row = rows(database, plan.request_id)[order_id]
    assert (row["state"], row["attempts"], row["reply_code"]) == ("failed", 3, 421)
    assert mailbox.messages == []


def test_550_gives_no_message_and_the_order_shows_the_servers_answer(tmp_path, database):
    ids = add_mail_orders(database, 2)
    mailbox = Mailbox(refuse_rcpt={"payer0@example.org": "550 5.1.1 <payer0@example.org>: no such user"})
    with smtp_server(mailbox) as port:
        plan, result = send(database, mail_settings(tmp_path, port), Selection(unpaid=True))
        assert result.states == {"refused": 1, "sent": 1}
        assert mailbox.recipients() == ["payer1@example.org"]
        with database.connect() as conn:
            [problem] = messages(conn, plan.request_id)
        assert (problem["order_id"], problem["state"], problem["attempts"]) == (ids[0], "refused", 1)
        assert problem["reply_code"] == 550 and "no such user" in problem["reply_text"]
        # The same request again: a refusal is permanent, nothing is retried ...
        _, again = send(database, mail_settings(tmp_path, port), Selection(unpaid=True))
        assert again.states == {} and len(mailbox.messages) == 1
        # ... until the payer's address is corrected.
        with database.begin() as conn:
            conn.execute(update(orders).where(orders.c.order_id == ids[0]).values(payer_email="fixed@example.org"))
        _, fixed = send(database, mail_settings(tmp_path, port), Selection(unpaid=True))
    assert fixed.states == {"sent": 1} and mailbox.recipients() == ["payer1@example.org", "fixed@example.org"]


def test_the_same_selection_again_mails_only_what_was_not_sent(tmp_path, database):
    ids = add_mail_orders(database, 3)
    with database.begin() as conn:
        conn.execute(update(orders).where(orders.c.order_id == ids[2]).values(payer_email=None))
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        settings = mail_settings(tmp_path, port)
        plan, first = send(database, settings, Selection(unpaid=True))
        assert first.states == {"sent": 2} and plan.skipped == [(ids[2], ledger.NO_EMAIL)]
        plan, second = send(database, settings, Selection(unpaid=True))
        assert second.states == {} and plan.done == {"sent": 2} and len(mailbox.messages) == 2
        with database.begin() as conn:
            conn.execute(update(orders).where(orders.c.order_id == ids[2]).values(payer_email="late@example.org"))
        _, third = send(database, settings, Selection(unpaid=True))
    assert third.states == {"sent": 1}
    assert sorted(mailbox.recipients()) == ["late@example.org", "payer0@example.org", "payer1@example.org"]
    assert len(set(mailbox.message_ids())) == 3
    with database.connect() as conn:
        counts = state_counts(conn, [plan.request_id])[plan.request_id]
        audited = conn.execute(select(audit_log.c.actor, audit_log.c.action)
                               .where(audit_log.c.subject == f"notice-request:{plan.request_id}")).all()
    assert counts["sent"] == 3 and counts["skipped"] == 0
    assert [tuple(row) for row in audited] == [("cli:test", "notices.send")] * 3


def test_a_row_left_sending_by_a_stopped_sender_becomes_unknown_and_is_not_sent_again(tmp_path, database):
    [order_id] = add_mail_orders(database, 1)
    dead = subprocess.Popen(["true"])
    dead.wait()
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        settings = mail_settings(tmp_path, port)
        selection = Selection(order_ids=(order_id,))
        with database.begin() as conn:
            plan = open_request(conn, selection, select_for_mail(conn, order_ids=[order_id], scope=Scope.everything()),
                                settings, "cli:test")
            [row] = ledger.due_rows(conn, plan.request_id)
            assert ledger.claim(conn, row["id"], f"{ledger.socket.gethostname()}:{dead.pid}")
        result = run_request(database, settings, plan.request_id)
    assert result.settled_unknown == [order_id] and mailbox.messages == []
    row = rows(database, plan.request_id)[order_id]
    assert row["state"] == "unknown" and row["message_id"] in row["reply_text"]


def test_a_line_cut_after_the_data_went_out_leaves_that_message_unknown_and_the_rest_sent(tmp_path, database):
    ids = add_mail_orders(database, 3)
    mailbox = Mailbox(drop_after_data=1)
    with smtp_server(mailbox) as port:
        plan, result = send(database, mail_settings(tmp_path, port), Selection(unpaid=True))
        _, again = send(database, mail_settings(tmp_path, port), Selection(unpaid=True))
    assert result.states == {"unknown": 1, "sent": 2} and again.states == {}
    first = rows(database, plan.request_id)[ids[0]]
    assert first["state"] == "unknown" and first["reply_code"] is None
    assert sorted(mailbox.recipients()) == ["payer0@example.org", "payer1@example.org", "payer2@example.org"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_attached_pdf_prints_the_latvian_payers_name_exactly(tmp_path, database):
    [order_id] = add_mail_orders(database, 1, payer_language="lv", payer_name="Jānis Bērziņš")
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        send(database, mail_settings(tmp_path, port), Selection(order_ids=(order_id,)))
    [attachment] = list(mailbox.messages[0].iter_attachments())
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(attachment.get_content())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Jānis Bērziņš" in text
