"""`counterpay hub notices send` killed with SIGKILL in the middle of a bulk send, then the same
command again: no order is mailed twice (counted at the server by Message-ID and recipient), and
none is left out but the one the crash rule holds back (`unknown`: it was in the server's hands
when the sender died, so it may have been delivered)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import hub
from hub.store.db import Database
from hub.store.tables_mail import notice_messages
from tests.hub.mail_support import Mailbox, add_mail_orders, mail_settings, smtp_server
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 20


def _cli(config: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "counterpay", "hub", "notices", *args, "--config", str(config)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_a_bulk_send_killed_and_run_again_mails_no_order_twice_and_leaves_out_only_the_unknown(tmp_path):
    mailbox = Mailbox(delay_s=0.2)       # keeps each message, then waits before its 250
    with smtp_server(mailbox) as port:
        settings = mail_settings(tmp_path, port)
        database = Database.open(settings.database_url)
        ids = add_mail_orders(database, ORDERS)
        first = _cli(settings.config_path, "send", "--unpaid")
        wait_until(lambda: len(mailbox.messages) >= 3, 30, "three messages at the server",
                   detail=lambda: first.stderr.read() if first.poll() is not None else "still running")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        received_before = len(mailbox.messages)
        assert received_before < ORDERS, "the first send finished before it was killed"
        mailbox.delay_s = 0.0
        again = _cli(settings.config_path, "send", "--unpaid")
        out, err = again.communicate(timeout=60)
        report = CliRunner().invoke(hub, ["notices", "status", "--config", str(settings.config_path), "--json"])
        with database.connect() as conn:
            rows = {row.order_id: row for row in conn.execute(select(notice_messages))}
        database.dispose()

    states = Counter(row.state for row in rows.values())
    unknown = [order_id for order_id, row in rows.items() if row.state == "unknown"]
    assert set(rows) == set(ids)
    assert states["sent"] + states["unknown"] == ORDERS, states
    assert len(unknown) <= 1, unknown                      # one message at a time was in flight
    assert again.returncode == (1 if unknown else 0), out + err
    # No order mailed twice: one Message-ID, one recipient, once each.
    assert len(mailbox.message_ids()) == len(set(mailbox.message_ids()))
    per_recipient = Counter(mailbox.recipients())
    assert max(per_recipient.values()) == 1
    # Every sent order reached the server once; the unknown one at most once (it was in flight).
    assert all(per_recipient[row.recipient] == 1 for row in rows.values() if row.state == "sent")
    assert {row.message_id for row in rows.values() if row.state == "sent"} <= set(mailbox.message_ids())
    # The status command says the same, with the unknown one's explanation.
    assert report.exit_code == 0, report.output
    [request] = json.loads(report.output)["requests"]
    assert request["counts"]["sent"] == states["sent"] and request["counts"]["unknown"] == len(unknown)
    assert [problem["order_id"] for problem in request["problems"]] == unknown
    if unknown:
        assert "may have been delivered" in request["problems"][0]["reply_text"]
