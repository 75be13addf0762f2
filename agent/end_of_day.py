"""End of day at a desk: close the terminal's batch and compare it with the journal.

The journal's card totals since the last close (or local midnight, the first time) are
compared with what the terminal reports for its batch; the comparison goes to the hub
as an `eod.report` event, and the close time is kept so the next day starts from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from protocol.domain import Tender
from protocol.wire.messages import EodReport, body_of, build

from agent.journal import SqliteJournal, utc_now
from agent.outbox import Outbox
from agent.store import Store
from agent.terminal.base import TerminalError
from agent.terminal.session import TerminalSession

LAST_CLOSE_KEY = "last_eod_at"


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
                 agent_id: str, currency: str, on_event: Callable[[], None] = lambda: None):
        self.store, self.journal, self.outbox, self.terminal = store, journal, outbox, terminal
        self.agent_id, self.currency = agent_id, currency
        self.on_event = on_event           # an event is in the outbox: tell the sync client

    def totals_today(self) -> dict[str, tuple[int, int]]:
        return self.journal.totals_since(local_midnight_utc())

    def close(self) -> EodComparison:
        """Close the terminal batch and compare its totals with the journal since the last close."""
        since = self.store.get_setting(LAST_CLOSE_KEY) or local_midnight_utc()
        journal = self.journal.totals_since(since)
        card_count, card_total = journal.get(Tender.CARD, (0, 0))
        terminal_count = terminal_total = None
        message = ""
        if self.terminal.configured:
            try:
                result = self.terminal.close_batch()     # never while a payment talks to the terminal
                if result.ok:
                    terminal_count, terminal_total = result.count, result.total_minor
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
                       mismatch=mismatch, closed_at=utc_now())
        with self.store.transaction():
            self.outbox.append("eod.report", body_of(report))
            self.store.set_setting(LAST_CLOSE_KEY, report.closed_at)
        self.on_event()
        return EodComparison(terminal_count, terminal_total, card_count, card_total, self.currency, mismatch,
                             message, per_tender)
