"""`counterpay hub notices send|status` in process: the dry run writes and sends nothing, the exit
codes say what happened (0 all sent, 1 refused and listed, 2 usage or configuration)."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from hub.cli import hub
from hub.store.db import Database
from hub.store.tables_mail import notice_messages
from tests.hub.config_support import settings_for
from tests.hub.mail_support import Mailbox, add_mail_orders, mail_settings, smtp_server


def _run(settings, *args: str):
    return CliRunner().invoke(hub, ["notices", *args, "--config", str(settings.config_path)])


def _rows(settings) -> int:
    database = Database.open(settings.database_url)
    try:
        with database.connect() as conn:
            return conn.execute(select(func.count()).select_from(notice_messages)).scalar_one()
    finally:
        database.dispose()


def test_a_dry_run_says_what_would_be_mailed_and_writes_and_sends_nothing(tmp_path):
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        settings = mail_settings(tmp_path, port)
        database = Database.open(settings.database_url)
        add_mail_orders(database, 2)
        database.dispose()
        result = _run(settings, "send", "--unpaid", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would mail 2" in result.output
    assert mailbox.messages == [] and _rows(settings) == 0


def test_a_refusal_exits_1_listing_the_order_with_the_servers_answer_and_status_shows_it(tmp_path):
    mailbox = Mailbox(refuse_rcpt={"payer1@example.org": "550 5.1.1 no such user"})
    with smtp_server(mailbox) as port:
        settings = mail_settings(tmp_path, port)
        database = Database.open(settings.database_url)
        ids = add_mail_orders(database, 2)
        database.dispose()
        sent = _run(settings, "send", "--order", ids[0], "--order", ids[1])
        again = _run(settings, "send", "--order", ids[1], "--order", ids[0])      # the same selection
    assert sent.exit_code == 1, sent.output
    assert f"{ids[1]} refused payer1@example.org: 550 5.1.1 no such user" in sent.output
    assert "1 sent, 1 refused" in sent.output
    assert again.exit_code == 1 and "mailing 0; already in the request: 1 refused, 1 sent" in again.output
    assert len(mailbox.messages) == 1
    status = _run(settings, "status")
    assert status.exit_code == 0 and f"{ids[1]} refused: 550 5.1.1 no such user" in status.output


def test_usage_and_configuration_errors_exit_2_and_say_what_to_do(tmp_path):
    settings = mail_settings(tmp_path, 2525)
    assert "either --order ID" in _run(settings, "send").output
    both = _run(settings, "send", "--order", "ORD1", "--office", "A")
    assert both.exit_code == 2 and "--office and --due-before filter --unpaid" in both.output
    missing = _run(settings, "send", "--order", "ORDNOPE")
    assert missing.exit_code == 2 and "no payment order ORDNOPE" in missing.output
    bad_day = _run(settings, "send", "--unpaid", "--due-before", "31/12/2026")
    assert bad_day.exit_code == 2 and "expected a date YYYY-MM-DD" in bad_day.output
    no_smtp = settings_for(tmp_path / "plain")
    result = _run(no_smtp, "send", "--unpaid")
    assert result.exit_code == 2 and "[smtp] host is not set" in result.output
