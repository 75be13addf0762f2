"""The one interface the agent uses to drive any card terminal, and the journal drivers write to.

A driver never sends a financial request it has not first recorded as an `Intent` in
a `TerminalJournal`, and records the `TerminalResult` after.  When the answer does not
arrive (timeout, cable pulled, garbled frame, restart in the middle) the outcome is
UNKNOWN and `recover()` resolves it with the protocol's own means (ZVT: status enquiry,
repeat receipt) or returns OPERATOR_CHECK with what the operator must look for on the
terminal (Concert has no query).  No driver ever re-sends a financial request for the
same intent on its own; reversal by receipt number is the operator's way to undo.

The agent's SQLite journal implements `TerminalJournal`; `agent.terminal.file_journal`
is a file-based one for standalone use by the technician commands.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from typing import Callable, Protocol

from protocol.domain import FINAL_JOURNAL_STATES, JournalState


class Outcome(str, enum.Enum):
    """A terminal's answer; the journal stores it as the state of the same name."""

    APPROVED = JournalState.APPROVED.value   # the card was charged (or refund/reversal done)
    DECLINED = JournalState.DECLINED.value   # the terminal or issuer refused; nothing charged
    ABORTED = JournalState.ABORTED.value     # cancelled before charging (customer, operator, timeout before card)
    UNKNOWN = JournalState.UNKNOWN.value     # no trustworthy answer yet: must be recovered, never retried
    OPERATOR_CHECK = JournalState.OPERATOR_CHECK.value  # the protocol cannot tell; a person must read the terminal

    @property
    def final(self) -> bool:
        return self.value in FINAL_JOURNAL_STATES


class IntentKind(str, enum.Enum):
    PAYMENT = "payment"
    REFUND = "refund"
    REVERSAL = "reversal"


@dataclass(frozen=True)
class Intent:
    """What the agent is about to ask the terminal, fixed before anything is sent."""

    intent_id: str                 # fixed at creation; the dedup key everywhere
    kind: IntentKind
    amount_minor: int
    currency: str = "EUR"
    receipt_no: str | None = None  # the terminal receipt number a reversal undoes
    reference: str | None = None   # order / case reference, for the operator's eyes
    created_at: str = ""           # RFC 3339 UTC
    # Set by the driver (dataclasses.replace) before it journals the intent: the terminal's
    # newest transaction number at that moment (ZVT "trace:123" or "none").  Recovery after
    # a restart needs it to tell this intent's transaction from an older one of the same
    # amount; a journal that does not keep it gets OPERATOR_CHECK in that ambiguous case.
    terminal_mark: str | None = None


@dataclass
class TerminalResult:
    intent_id: str
    outcome: Outcome
    message: str                   # readable, for the clerk and the log
    amount_minor: int | None = None
    currency: str | None = None
    result_code: str | None = None  # the terminal's own code, e.g. ZVT "00", "6C"
    receipt_no: str | None = None
    trace_no: str | None = None
    terminal_id: str | None = None
    card_type: str | None = None
    masked_pan: str | None = None  # never a full PAN: at most the last 4 digits in clear
    auth_code: str | None = None
    time: str | None = None        # terminal's date/time of the transaction, if given
    receipt_lines: list[str] = field(default_factory=list)
    recovered: bool = False        # the outcome came from recovery, not from the direct answer
    operator_hint: str | None = None  # with OPERATOR_CHECK: what to look for on the terminal


@dataclass
class EndOfDayResult:
    ok: bool
    message: str
    total_minor: int | None = None
    count: int | None = None
    currency: str | None = None
    per_card_type: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (count, total)
    receipt_lines: list[str] = field(default_factory=list)
    terminal_id: str | None = None     # the terminal that closed the batch, where the protocol says


@dataclass
class TerminalStatus:
    ok: bool
    message: str
    terminal_id: str | None = None
    busy: bool = False
    last_receipt_no: str | None = None


class TerminalJournal(Protocol):
    """Durable record of intents and outcomes. Each call returns only once it is on disk."""

    def record_intent(self, intent: Intent) -> None: ...

    def record_outcome(self, result: TerminalResult) -> None: ...

    def open_intents(self) -> list[Intent]:
        """Intents with no final outcome yet (UNKNOWN or OPERATOR_CHECK or none)."""
        ...


ProgressCallback = Callable[[str], None]
"""Called with readable progress ('Insert card', 'PIN entry', 'Authorising…')."""


class TerminalError(Exception):
    """The terminal could not be used at all (port missing, not answering registration)."""


class TerminalDriver(abc.ABC):
    """One card terminal. Blocking calls; the agent runs them off the UI thread."""

    protocol: str = ""

    def __init__(self, journal: TerminalJournal, on_progress: ProgressCallback | None = None):
        self.journal = journal
        self.on_progress = on_progress or (lambda text: None)

    @abc.abstractmethod
    def pay(self, intent: Intent) -> TerminalResult: ...

    @abc.abstractmethod
    def refund(self, intent: Intent) -> TerminalResult: ...

    @abc.abstractmethod
    def reverse(self, intent: Intent) -> TerminalResult:
        """Undo an approved payment by its terminal receipt number (`intent.receipt_no`)."""

    @abc.abstractmethod
    def end_of_day(self) -> EndOfDayResult: ...

    @abc.abstractmethod
    def status(self) -> TerminalStatus: ...

    @abc.abstractmethod
    def last_result(self) -> TerminalResult | None:
        """What the terminal says its last transaction was, where the protocol can ask."""

    @abc.abstractmethod
    def recover(self, intent: Intent) -> TerminalResult:
        """Resolve an intent whose outcome is unknown, without re-sending it."""

    def close(self) -> None:  # noqa: B027 - a driver that holds no port keeps this default
        """Release the port or socket."""
