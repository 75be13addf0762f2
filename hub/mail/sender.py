"""Mailing a send request's queued messages, one at a time at `[smtp] rate_per_second`.

For each due row: the order is read again (cancelled since, or paid since for a request of
unpaid orders: skipped), its message made (notice PDF attached), the row claimed and
committed as `sending`, the message handed to the server, and its answer recorded
(hub/mail/ledger.py).  A temporary failure is queued again with backoff, and the run
waits for it; the run ends when nothing of the request is left queued.  At the start,
rows left `sending` by a sender that stopped become `unknown` (the crash rule).

One run of a request at a time, across every hub process: a run holds the request's
lock (hub/store/locks.py) and a second one (a second click, the CLI beside the console,
another API process) returns at once with `elsewhere` set.  The crash rule needs it: a
second run would take the first one's `sending` rows for a stopped sender's.  Rows are
still claimed one by one, so two senders never mail one row even without the lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.policy import SMTP
from typing import Any, Callable

from sqlalchemy import Connection, exists, select

from hub.config import Settings
from hub.mail import ledger
from hub.mail.attachment import notice_attachment
from hub.mail.compose import compose, envelope_sender
from hub.mail.smtp import MailServerUnusable, Outcome, SmtpTransport
from hub.orders.search import status_is
from hub.orders.service import get_order
from hub.store import locks
from hub.store.db import Database
from hub.store.tables import orders
from hub.store.tables_mail import notice_send_requests

MAX_WAIT_S = 5.0
"""A run waiting for a backoff looks again at least this often (rows queued meanwhile are taken)."""


class Pacer:
    """At most `rate` messages a second, evenly spaced (a burst would trip providers' limits)."""

    def __init__(self, rate: float, clock=time.monotonic, sleep=time.sleep):
        self.interval, self.clock, self.sleep = 1.0 / rate, clock, sleep
        self.next = clock()

    def wait(self) -> None:
        now = self.clock()
        if self.next > now:
            self.sleep(self.next - now)
        self.next = max(self.next, now) + self.interval


@dataclass
class RunResult:
    request_id: str
    states: Counter = field(default_factory=Counter)     # what this run did: sent, refused, … per message
    settled_unknown: list[str] = field(default_factory=list)
    elsewhere: bool = False      # another process is running this request: this run did nothing


def send_lock_name(request_id: str) -> str:
    """The lock of one send request (its id is free text: hashed into a lock name)."""
    return "mail-send." + hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:32]


def _still_unpaid(conn: Connection, order_id: str) -> bool:
    return bool(conn.execute(select(exists().where(orders.c.order_id == order_id, status_is("unpaid")))).scalar())


def _prepare(conn: Connection, row: dict[str, Any], settings: Settings, unpaid_only: bool) -> tuple[str | None, Any]:
    """(why it is skipped, None) or (None, the message's bytes or a refusing Outcome)."""
    order = get_order(conn, row["order_id"])
    if order is None or order.get("cancelled_at"):
        return ledger.CANCELLED, None
    if unpaid_only and not _still_unpaid(conn, row["order_id"]):
        return ledger.PAID, None
    try:
        pdf = notice_attachment(conn, order, settings, row["language"])
        message = compose(order, recipient=row["recipient"], language=row["language"], message_id=row["message_id"],
                          sender=settings.smtp.sender, reply_to=settings.smtp.reply_to, pdf=pdf)
        return None, message.as_bytes(policy=SMTP)
    except (ValueError, HeaderParseError) as exc:     # e.g. an address the e-mail library cannot write
        return None, Outcome("refused", None, f"the message could not be made: {exc}")


def run_request(db: Database, settings: Settings, request_id: str, *,
                on_message: Callable[[str, str], None] | None = None) -> RunResult:
    """Mail what the request has queued; `on_message(order_id, state)` after each.  Raises
    MailServerUnusable (the rows stay queued) when the server cannot be used as configured."""
    if not settings.smtp.configured:
        raise MailServerUnusable("[smtp] host is not set in the hub's configuration: no e-mail can be sent")
    with locks.held_alone(db, send_lock_name(request_id)) as mine:
        if not mine:
            return RunResult(request_id, elsewhere=True)
        return _run_alone(db, settings, request_id, on_message)


def _run_alone(db: Database, settings: Settings, request_id: str,
               on_message: Callable[[str, str], None] | None) -> RunResult:
    result, me = RunResult(request_id), ledger.sender_identity()
    with db.begin() as conn:
        result.settled_unknown = ledger.settle_abandoned(conn, request_id, settings)
        selection = conn.execute(select(notice_send_requests.c.selection)
                                 .where(notice_send_requests.c.request_id == request_id)).scalar() or {}
    for order_id in result.settled_unknown:
        result.states["unknown"] += 1
        if on_message:
            on_message(order_id, "unknown")
    transport, pacer = SmtpTransport(settings.smtp), Pacer(settings.smtp.rate_per_second)
    envelope = envelope_sender(settings.smtp.sender)
    try:
        while True:
            with db.connect() as conn:
                rows = ledger.due_rows(conn, request_id)
                wake = None if rows else ledger.next_wake(conn, request_id)
            if not rows and wake is None:
                return result
            if not rows:
                time.sleep(min(MAX_WAIT_S, max(0.0, (wake - dt.datetime.now(dt.timezone.utc)).total_seconds())))
                continue
            for row in rows:
                state = _send_one(db, settings, row, me, transport, pacer, envelope, bool(selection.get("unpaid")))
                if state is not None:
                    result.states[state] += 1
                    if on_message:
                        on_message(row["order_id"], state)
    finally:
        transport.close()


def _send_one(db: Database, settings: Settings, row: dict[str, Any], me: str, transport: SmtpTransport,
              pacer: Pacer, envelope: str, unpaid_only: bool) -> str | None:
    """One row from queued to its next state; None when another sender had claimed it."""
    with db.connect() as conn:
        why, made = _prepare(conn, row, settings, unpaid_only)
    with db.begin() as conn:        # committed as `sending` before anything reaches the server
        if not ledger.claim(conn, row["id"], me):
            return None
        if why is not None:
            ledger.skip(conn, row["id"], me, why)
            return "skipped"
    if isinstance(made, Outcome):
        outcome = made
    else:
        pacer.wait()
        try:
            outcome = transport.deliver(envelope, row["recipient"], made)
        except MailServerUnusable:
            with db.begin() as conn:
                ledger.release(conn, row["id"], me)
            raise
    with db.begin() as conn:
        return ledger.finish(conn, row["id"], me, outcome, row["attempts"] + 1, settings)
