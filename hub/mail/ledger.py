"""The send requests and each order's message state: queueing, claiming, outcomes, and the crash rule.

A send request is its selection under an id (`Selection.request_id`: the same selection
is the same request, so running a command again mails only what is not sent yet; a
person may name a new request to mail the same orders again, e.g. a reminder).
`open_request` queues, in one transaction with its audit row, one message per order not
already in the request; a row that did not go out may be queued again there:

- `skipped` (no payer e-mail) once the order has an address; `failed` (temporary failures
  `max_attempts` times) always; `refused` (5xx) only when the order's address changed;
- `sent`, `unknown`, `queued` and `sending` never.

**The crash rule: at most once.**  `claim` commits a row as `sending` (with the sender's
host:pid) before the message's DATA; `finish` records the answer after it.  A row found
`sending` when a request runs again belongs to a sender that stopped between the two (its
process is gone on this host, or it was claimed longer ago than any live send can take),
and nobody can tell whether the server took the message.  Such a row becomes `unknown`
and is NOT sent again: a payer mailed twice is worse than one a person looks after.  The
row names its Message-ID; a person finds it in the mail server's log, and if it is not
there mails that order in a new request (`--request-id`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import socket
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select, update

from hub.audit.log import record
from hub.config import PAYER_LANGUAGES, Settings
from hub.mail.compose import envelope_sender
from hub.mail.smtp import REPLY_LIMIT, Outcome
from hub.store.bulk import insert_rows
from hub.store.tables_mail import notice_messages, notice_send_requests
from hub.store.timeutil import iso, now_iso, parse



class MessageState(StrEnum):
    """Where one notice e-mail stands; its own words, apart from a payment's journal states."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    REFUSED = "refused"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


STATES = tuple(MessageState)
PROBLEM_STATES = (MessageState.REFUSED, MessageState.FAILED, MessageState.UNKNOWN)
MAX_BACKOFF_S = 3600.0
ABANDONED_AFTER_S = 600.0
"""A `sending` row older than this (or 10 × [smtp] timeout_s) has no live sender, wherever it ran."""

NO_EMAIL = "the order has no payer e-mail"
CANCELLED = "the order is cancelled"
PAID = "the order is no longer unpaid"


@dataclass(frozen=True)
class Selection:
    """What a send request mails: these orders, or the unpaid ones of a filter, within offices."""
    order_ids: tuple[str, ...] = ()
    unpaid: bool = False
    office: str | None = None
    due_before: dt.date | None = None
    offices: frozenset[str] | None = None       # the requester's scope; None: every office

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = ({"orders": sorted(set(self.order_ids))} if self.order_ids else
                                {"unpaid": True, "office": self.office,
                                 "due_before": self.due_before.isoformat() if self.due_before else None})
        if self.offices is not None:
            data["offices"] = sorted(self.offices)
        return data

    def request_id(self) -> str:
        digest = hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode()).hexdigest()
        return "sel-" + digest[:24]


@dataclass
class Plan:
    """What opening a request does (or, dry, would do), order by order."""
    request_id: str
    queued: list[str] = field(default_factory=list)          # to be mailed by this run
    done: dict[str, int] = field(default_factory=dict)       # already final in the request, by state
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (order id, why)


def sender_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _language(order: dict[str, Any], settings: Settings) -> str:
    language = order.get("payer_language")
    return language if language in PAYER_LANGUAGES else settings.language


def _message_id(order_id: str, sender: str) -> str:
    domain = envelope_sender(sender).rpartition("@")[2] or "counterpay.invalid"
    return f"<notice.{order_id}.{secrets.token_hex(8)}@{domain}>"


def _why_not(order: dict[str, Any]) -> str | None:
    if order.get("cancelled_at"):
        return CANCELLED
    if not order.get("payer_email"):
        return NO_EMAIL
    return None


def _again(row: dict[str, Any], order: dict[str, Any]) -> bool:
    """May this existing row be queued once more? (the rules in the module's docstring)"""
    if row["state"] in ("skipped", "failed"):
        return True
    return row["state"] == "refused" and row["recipient"] != order["payer_email"]


def plan_request(conn: Connection, request_id: str, orders: list[dict[str, Any]]) -> Plan:
    """What `open_request` would do, writing nothing (`--dry-run`)."""
    plan = Plan(request_id)
    existing = {row["order_id"]: dict(row) for row in conn.execute(
        select(notice_messages).where(notice_messages.c.request_id == request_id)).mappings()}
    for order in orders:
        row, why = existing.get(order["order_id"]), _why_not(order)
        if why is not None:
            plan.skipped.append((order["order_id"], why))
        elif row is None or _again(row, order):
            plan.queued.append(order["order_id"])
        else:
            plan.done[row["state"]] = plan.done.get(row["state"], 0) + 1
    return plan


def open_request(conn: Connection, selection: Selection, orders: list[dict[str, Any]], settings: Settings,
                 actor: str, request_id: str | None = None) -> Plan:
    """Record the request, queue its messages and audit it under `actor`, in the caller's transaction."""
    request_id = request_id or selection.request_id()
    now = now_iso()
    known = conn.execute(select(notice_send_requests.c.request_id)
                         .where(notice_send_requests.c.request_id == request_id)).scalar()
    if known is None:
        conn.execute(notice_send_requests.insert().values(
            request_id=request_id, selection=selection.as_json(), requested_by=actor, created_at=now,
            last_run_at=now, last_run_by=actor))
    else:
        conn.execute(update(notice_send_requests).where(notice_send_requests.c.request_id == request_id)
                     .values(last_run_at=now, last_run_by=actor))
    plan = plan_request(conn, request_id, orders)
    existing = {row.order_id: row for row in conn.execute(
        select(notice_messages.c.id, notice_messages.c.order_id, notice_messages.c.state)
        .where(notice_messages.c.request_id == request_id))}
    by_id = {order["order_id"]: order for order in orders}
    fresh = []
    for order_id in plan.queued:
        order = by_id[order_id]
        if order_id in existing:
            conn.execute(update(notice_messages).where(notice_messages.c.id == existing[order_id].id).values(
                state=MessageState.QUEUED, recipient=order["payer_email"], language=_language(order, settings), attempts=0,
                queued_at=now, next_attempt_at=None, finished_at=None))
        else:
            fresh.append(_row(request_id, order, settings, "queued", None, now))
    for order_id, why in plan.skipped:
        if order_id not in existing:
            fresh.append(_row(request_id, by_id[order_id], settings, "skipped", why, now))
        elif existing[order_id].state == MessageState.SKIPPED:       # why it is skipped now; other rows keep their story
            conn.execute(update(notice_messages).where(notice_messages.c.id == existing[order_id].id).values(
                state=MessageState.SKIPPED, reply_code=None, reply_text=why, recipient=None, finished_at=now))
    insert_rows(conn, notice_messages, fresh)
    record(conn, actor, "notices.send", f"notice-request:{request_id}",
           {"selection": selection.as_json(), "queued": len(plan.queued), "skipped": len(plan.skipped),
            "already": plan.done})
    return plan


def _row(request_id: str, order: dict[str, Any], settings: Settings, state: str, why: str | None,
         now: str) -> dict[str, Any]:
    return {"request_id": request_id, "order_id": order["order_id"],
            "recipient": order["payer_email"] if state == MessageState.QUEUED else None,
            "language": _language(order, settings), "state": state, "attempts": 0,
            "message_id": _message_id(order["order_id"], settings.smtp.sender), "reply_code": None,
            "reply_text": why, "claimed_by": None, "queued_at": now, "claimed_at": None, "next_attempt_at": None,
            "finished_at": now if state == MessageState.SKIPPED else None}


# -- the sender's side ----------------------------------------------------------------------

def due_rows(conn: Connection, request_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Queued rows whose backoff is over, oldest first."""
    now = now_iso()
    query = (select(notice_messages).where(notice_messages.c.request_id == request_id,
                                           notice_messages.c.state == MessageState.QUEUED,
                                           (notice_messages.c.next_attempt_at.is_(None))
                                           | (notice_messages.c.next_attempt_at <= now))
             .order_by(notice_messages.c.id).limit(limit))
    return [dict(row) for row in conn.execute(query).mappings()]


def next_wake(conn: Connection, request_id: str) -> dt.datetime | None:
    """When the earliest queued row is due; None: nothing is queued any more."""
    at = conn.execute(select(func.min(func.coalesce(notice_messages.c.next_attempt_at, "")))
                      .where(notice_messages.c.request_id == request_id, notice_messages.c.state == MessageState.QUEUED)).scalar()
    if at is None:
        return None
    return parse(at) if at else dt.datetime.now(dt.timezone.utc)


def claim(conn: Connection, row_id: int, me: str) -> bool:
    """Take the row for sending; False when another sender took it first.  Commit before the DATA."""
    result = conn.execute(update(notice_messages)
                          .where(notice_messages.c.id == row_id, notice_messages.c.state == MessageState.QUEUED)
                          .values(state=MessageState.SENDING, attempts=notice_messages.c.attempts + 1, claimed_by=me,
                                  claimed_at=now_iso()))
    return result.rowcount == 1


def _mine(row_id: int, me: str):
    return (notice_messages.c.id == row_id, notice_messages.c.state == MessageState.SENDING, notice_messages.c.claimed_by == me)


def finish(conn: Connection, row_id: int, me: str, outcome: Outcome, attempts: int, settings: Settings) -> str:
    """Record what the server said; returns the row's new state."""
    now = dt.datetime.now(dt.timezone.utc)
    values: dict[str, Any] = {"reply_code": outcome.code, "reply_text": outcome.text[:REPLY_LIMIT], "claimed_by": None}
    if outcome.kind == "retry" and attempts < settings.smtp.max_attempts:
        backoff = min(settings.smtp.first_retry_s * 2 ** (attempts - 1), MAX_BACKOFF_S)
        values |= {"state": MessageState.QUEUED, "next_attempt_at": iso(now + dt.timedelta(seconds=backoff))}
    else:
        state = {"sent": "sent", "refused": "refused", "unknown": "unknown"}.get(outcome.kind, "failed")
        values |= {"state": state, "finished_at": iso(now), "next_attempt_at": None}
    conn.execute(update(notice_messages).where(*_mine(row_id, me)).values(**values))
    return values["state"]


def release(conn: Connection, row_id: int, me: str) -> None:
    """Give the row back untried (the server could not be used at all: nothing was sent)."""
    conn.execute(update(notice_messages).where(*_mine(row_id, me))
                 .values(state=MessageState.QUEUED, attempts=notice_messages.c.attempts - 1, claimed_by=None, claimed_at=None))


def skip(conn: Connection, row_id: int, me: str, why: str) -> None:
    conn.execute(update(notice_messages).where(*_mine(row_id, me)).values(
        state=MessageState.SKIPPED, attempts=notice_messages.c.attempts - 1, claimed_by=None, reply_code=None, reply_text=why,
        recipient=None, finished_at=now_iso()))


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:       # a killed child its parent has not reaped yet is a zombie: gone all the same
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def abandoned(claimed_by: str | None, claimed_at: str | None, settings: Settings) -> bool:
    """Is this `sending` row's sender gone? (its process on this host, or an age no live send reaches)"""
    host, _, pid = (claimed_by or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and _process_gone(int(pid)):
        return True
    limit = max(ABANDONED_AFTER_S, 10 * settings.smtp.timeout_s)
    return claimed_at is None or (dt.datetime.now(dt.timezone.utc) - parse(claimed_at)).total_seconds() > limit


def settle_abandoned(conn: Connection, request_id: str, settings: Settings) -> list[str]:
    """Turn the request's `sending` rows of stopped senders into `unknown`; returns their order ids."""
    rows = conn.execute(select(notice_messages.c.id, notice_messages.c.order_id, notice_messages.c.claimed_by,
                               notice_messages.c.claimed_at, notice_messages.c.message_id)
                        .where(notice_messages.c.request_id == request_id,
                               notice_messages.c.state == MessageState.SENDING)).all()
    settled = []
    for row in rows:
        if not abandoned(row.claimed_by, row.claimed_at, settings):
            continue
        text = (f"the sender {row.claimed_by} stopped while handing this message to the server, so it may have "
                f"been delivered; not sent again: look for Message-ID {row.message_id} in the mail server's log, "
                "and if it is not there mail this order in a new request")
        conn.execute(update(notice_messages).where(notice_messages.c.id == row.id,
                                                   notice_messages.c.state == MessageState.SENDING)
                     .values(state=MessageState.UNKNOWN, reply_code=None, reply_text=text[:REPLY_LIMIT], claimed_by=None,
                             finished_at=now_iso()))
        settled.append(row.order_id)
    return settled


def note_stopped(conn: Connection, request_id: str, why: str | None) -> None:
    """Why the request's last run stopped (the mail server could not be used); None: it did not."""
    conn.execute(update(notice_send_requests).where(notice_send_requests.c.request_id == request_id)
                 .values(stopped=why[:400] if why else None))
