"""Void or refund a card payment at the counter, approved by a supervisor's login there and then.

Opened with F7 from the clerk's and the cashier's screen.  The clerk types the payment's
receipt id (R-…), the reason, for a refund its amount (empty: a void of the whole
payment), and hands the keyboard to a supervisor, who types their name and PIN.  The core
(`service.undo`, agent/voids.py) checks the login offline like any desk login (lock-out
counted), journals the void first and asks the terminal; this screen only shows what
came back, in the desk's language: done (with the void receipt), refused and why, or an
outcome not known yet (never to be started again).  The PIN field is cleared after every
try.  Esc closes it.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from protocol.domain import JournalState
from protocol.money import Money, MoneyError

from agent.ui.facade import UndoRequest
from agent.ui.i18n import translate_bindings

FIELDS = ("void-receipt", "void-reason", "void-amount", "void-supervisor", "void-secret")


class VoidScreen(ModalScreen[Any]):
    DEFAULT_CSS = """
    VoidScreen { align: center middle; }
    VoidScreen > Vertical {
        width: 72; height: auto; max-height: 23;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    VoidScreen #void-title { text-style: bold; color: $warning; }
    VoidScreen Input, VoidScreen Input:focus { height: 1; border: none; padding: 0 1; background: $boost; }
    VoidScreen Input:focus { background: $primary 30%; }
    VoidScreen #void-message { height: auto; text-style: bold; }
    VoidScreen .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "close", "keys.back")]
    AUTO_FOCUS = "#void-receipt"

    def __init__(self, receipt_id: str = "") -> None:
        super().__init__()
        translate_bindings(self, self.app.t)
        self.receipt_id = receipt_id
        self.running = False
        self.outcome: Any = None

    def compose(self) -> ComposeResult:
        t = self.app.t
        with Vertical():
            yield Static(t("voids.title"), id="void-title")
            yield Static(t("voids.receipt"))
            yield Input(self.receipt_id, id="void-receipt", max_length=64)
            yield Static(t("voids.reason"))
            yield Input(id="void-reason", max_length=200)
            yield Static(t("voids.amount"))
            yield Input(id="void-amount", max_length=20)
            yield Static(t("voids.supervisor"))
            yield Input(id="void-supervisor", max_length=64)
            yield Static(t("voids.secret"))
            yield Input(id="void-secret", password=True, max_length=256)
            yield Static("", id="void-message")
            yield Static(t("voids.keys"), classes="hint")

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def _say(self, text: str) -> None:
        self.query_one("#void-message", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = FIELDS.index(event.input.id)
        if index < len(FIELDS) - 1:
            self.query_one(f"#{FIELDS[index + 1]}", Input).focus()
            return
        self._start()

    def _start(self) -> None:
        if self.running:
            return
        t = self.app.t
        missing = [name for name in FIELDS if name != "void-amount" and not self._value(name)]
        if missing:
            self._say(t("voids.missing"))
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        amount = None
        if self._value("void-amount"):
            try:
                amount = Money.parse(self._value("void-amount"), self.app.currency).minor
            except MoneyError:
                self._say(t("voids.bad_amount"))
                self.query_one("#void-amount", Input).focus()
                return
        secret = self.query_one("#void-secret", Input)
        typed, secret.value = secret.value, ""
        self.running = True
        self._say(t("voids.working"))
        self._undo(self._value("void-receipt"), self._value("void-reason"), amount, self._value("void-supervisor"),
                   typed)

    @work(thread=True, exclusive=True, group="void")
    def _undo(self, receipt_id: str, reason: str, amount: int | None, supervisor: str, secret: str) -> None:
        request = UndoRequest(receipt_id, reason, supervisor, secret, kind="refund" if amount else "reversal",
                              amount_minor=amount)
        try:
            outcome = self.app.service.undo(request)
        except Exception as exc:      # the desk's store may be away: say so, stay on this screen
            self.app.call_from_thread(self._answered, None, str(exc))
            return
        self.app.call_from_thread(self._answered, outcome, None)

    def _answered(self, outcome: Any, error: str | None) -> None:
        self.running = False
        self.outcome = outcome
        self._say(self.describe(outcome, error))
        if outcome is None or outcome.outcome != JournalState.APPROVED:
            self.query_one("#void-secret", Input).focus()

    def describe(self, outcome: Any, error: str | None) -> str:
        t = self.app.t
        if outcome is None:
            return t("voids.failed", error=error or "")
        if outcome.outcome == JournalState.APPROVED:
            key = "voids.done_refund" if self._value("void-amount") else "voids.done_void"
            return t(key, receipt=outcome.receipt_id or "")
        if outcome.outcome in (JournalState.UNKNOWN, JournalState.OPERATOR_CHECK):
            return t("voids.unknown")
        details = outcome.details or {}
        if outcome.reason == "approval_refused":
            refused = details.get("refused") or "wrong"
            if refused == "locked":
                return t("voids.approval.locked", minutes=max(1, (int(details.get("wait_s") or 0) + 59) // 60))
            if refused == "wrong":
                return t("voids.approval.wrong", tries=details.get("tries_left") or 0)
            return t(f"voids.approval.{refused}")
        if outcome.reason == "already_voided":
            return t("voids.refused.already_voided", receipt=details.get("void_receipt_id") or "")
        if outcome.reason in ("not_found", "not_card", "not_approved", "void_in_progress", "batch_closed",
                              "refund_too_large", "bad_request"):
            return t(f"voids.refused.{outcome.reason}")
        if outcome.outcome in (JournalState.DECLINED, JournalState.ABORTED):
            return t("voids.declined")
        return t("voids.failed", error=outcome.message)

    def action_close(self) -> None:
        if not self.running:
            self.dismiss(self.outcome)
