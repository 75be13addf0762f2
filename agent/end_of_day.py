"""End of day at a desk: close the terminal's batch and compare it with the journal.

The journal's card totals since the last close (or local midnight, the first time) are
compared with what the terminal reports for its batch; the comparison goes to the hub
as an `eod.report` event, and the close time is kept so the next day starts from it.

Batches are numbered by the agent (terminals give no batch number we can rely on):
`open_batch_no` is the number of the batch open now, carried by every card payment
started in it (`card.batch_no`) and by the batch's report; the close ends it and opens
the next one, in the outbox row's transaction and under the terminal's lock, so a
payment belongs to exactly one batch and the hub can compare the report with them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from protocol.domain import Tender
from protocol.wire.messages import EOD_PAYMENT_IDS, EodReport, body_of, build

from agent.journal import SqliteJournal, utc_now
from agent.outbox import Outbox
from agent.store import Store
from agent.terminal.base import TerminalError
from agent.terminal.session import TerminalSession

LAST_CLOSE_KEY = "last_eod_at"
BATCH_NO_KEY = "eod_batch_no"


def open_batch_no(store: Store) -> int:
    """The number of the terminal batch open now (1 until the first close)."""
    return int(store.get_setting(BATCH_NO_KEY) or 1)


@dataclass
class EodComparison:
    terminal_count: int | None
    terminal_total_minor: int | None
    journal_count: int
    journal_total_minor: int
    currency: str
    mismatch: bool
    message: str
    per_tender: dict = field(default_factory=dict)


def local_midnight_utc() -> str:
    now = dt.datetime.now().astimezone()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EndOfDay:
    def __init__(self, store: Store, journal: SqliteJournal, outbox: Outbox, terminal: TerminalSession, *,
                 agent_id: str, currency: str, office: str | None = None,
                 on_event: Callable[[], None] = lambda: None,
                 operator: Callable[[], str | None] = lambda: None):
        self.store, self.journal, self.outbox, self.terminal = store, journal, outbox, terminal
        self.operator = operator            # who is logged in when the batch closes
        self.agent_id, self.currency, self.office = agent_id, currency, office
        self.on_event = on_event           # an event is in the outbox: tell the sync client

    def totals_today(self) -> dict[str, tuple[int, int]]:
        return self.journal.totals_since(local_midnight_utc())

    def close(self) -> EodComparison:
        """Close the terminal batch and compare its totals with the journal since the last close."""
        with self.terminal.lock:            # never while a payment talks to the terminal
            return self._close()

    def _close(self) -> EodComparison:
        since = self.store.get_setting(LAST_CLOSE_KEY) or local_midnight_utc()
        batch_no = open_batch_no(self.store)
        journal = self.journal.totals_since(since)
        card_count, card_total = journal.get(Tender.CARD, (0, 0))
        terminal_count = terminal_total = terminal_id = None
        per_scheme = None
        message = ""
        if self.terminal.configured:
            try:
                result = self.terminal.close_batch_locked()
                if result.ok:
                    terminal_count, terminal_total = result.count, result.total_minor
                    terminal_id = result.terminal_id
                    per_scheme = {name: {"count": max(n, 0), "total_minor": max(total, 0)}
                                  for name, (n, total) in result.per_card_type.items()} or None
                message = result.message
            except TerminalError as exc:
                message = f"the terminal could not close its batch: {exc}"
        mismatch = terminal_total is not None and (terminal_total != card_total or
                                                   (terminal_count is not None and terminal_count != card_count))
        if terminal_total is None and self.terminal.configured:
            mismatch = True
            message = message or "the terminal gave no totals"
        if mismatch:
            message = (f"MISMATCH: terminal {terminal_count} payments / {terminal_total} minor units, journal "
                       f"{card_count} / {card_total}. {message}").strip()
        else:
            message = message or "terminal and journal agree"
        per_tender = {tender: {"count": n, "total_minor": total} for tender, (n, total) in journal.items()}
        report = build(EodReport, batch_id=f"{self.agent_id}-{utc_now()}"[:64], currency=self.currency,
                       terminal_count=terminal_count, terminal_total_minor=terminal_total,
                       journal={t: {"count": n, "total_minor": total} for t, (n, total) in journal.items()
                                if t in tuple(Tender)},
                       mismatch=mismatch, closed_at=utc_now(), office=self.office, terminal_id=terminal_id,
                       batch_no=batch_no, opened_at=since, per_scheme=per_scheme,
                       payment_ids=self.journal.card_payment_ids_since(since, EOD_PAYMENT_IDS),
                       operator=self.operator())
        with self.store.transaction():
            self.outbox.append("eod.report", body_of(report))
            self.store.set_setting(LAST_CLOSE_KEY, report.closed_at)
            self.store.set_setting(BATCH_NO_KEY, batch_no + 1)
        self.on_event()
        return EodComparison(terminal_count, terminal_total, card_count, card_total, self.currency, mismatch,
                             message, per_tender)
