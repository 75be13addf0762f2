"""The finished payment: outcome, change for cash, the receipt as printed, and reprint."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static

from protocol.domain import JournalState

from agent.ui.facade import CARD_REFUSALS
from agent.ui.format import money


# Refusals of the card tender for a service step not activated (agent/card_checks.py).
REFUSAL_KEYS = {reason: f"activation.{reason}" for reason in CARD_REFUSALS}


def refusal_text(outcome: Any, t) -> str | None:
    """A refusal the intake screen gave a reason for, in the operator's language (else None)."""
    reason = getattr(outcome, "reason", None)
    if outcome.outcome != "refused" or not reason:
        return None
    return t(REFUSAL_KEYS.get(reason, f"refusal.{reason}"), field=t(f"field.{outcome.field}") if outcome.field else "",
             **(getattr(outcome, "details", None) or {}))


def card_refusal_text(refused: dict, t) -> str:
    """Why the card tender is not offered (AgentService.card_refusal), in the operator's language."""
    if not refused.get("reason"):
        return refused.get("message") or ""
    return t(REFUSAL_KEYS.get(refused["reason"], f"refusal.{refused['reason']}"), field=t("field.positions"), **(refused.get("details") or {}))


class ReceiptView(Vertical):
    DEFAULT_CSS = """
    ReceiptView { height: 1fr; padding: 0 1; }
    ReceiptView #outcome { padding: 0 0 1 0; }
    ReceiptView VerticalScroll { height: 1fr; border: round $panel-lighten-2; }
    ReceiptView Horizontal { height: auto; }
    """

    class Done(Message):
        """The operator wants the next payment."""

    def __init__(self, *, public: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.public = public   # a kiosk: no reprint, a plain "take your receipt"
        self.outcome: Any = None

    def compose(self) -> ComposeResult:
        yield Static("", id="outcome")
        with VerticalScroll(id="receipt-scroll"):
            yield Static("", id="receipt-lines")
        with Horizontal():
            yield Button(self.app.t("receipt.next"), id="next", variant="primary")
            yield Button(self.app.t("receipt.reprint"), id="reprint")

    def show(self, outcome: Any, currency: str, error: str | None = None) -> None:
        t = self.app.t
        self.outcome = outcome
        status = self.query_one("#outcome", Static)
        if outcome is None:
            status.set_classes("error")
            status.update(t("receipt.failed", error=error or ""))
            self.query_one("#receipt-lines", Static).update("")
        else:
            approved = outcome.outcome == JournalState.APPROVED
            status.set_classes("ok" if approved else "error")
            text = t(f"outcome.{outcome.outcome}")
            refusal = refusal_text(outcome, t)
            if refusal:
                text += f": {refusal}"
            elif outcome.message and outcome.message.casefold() != outcome.outcome.casefold():
                text += f": {outcome.message}"
            if approved and self.public:
                text = t("kiosk.take_receipt")
            if approved and outcome.change_minor:
                text += "\n" + t("receipt.change", change=money(outcome.change_minor, currency))
            status.update(text)
            self.query_one("#receipt-lines", Static).update("\n".join(outcome.receipt_lines or []))
        self.query_one("#reprint", Button).display = bool(outcome and outcome.receipt_id) and not self.public
        self.query_one("#next", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "next":
            self.post_message(self.Done())
        elif event.button.id == "reprint" and self.outcome is not None:
            self._reprint(self.outcome.receipt_id)

    @work(thread=True, exclusive=True, group="reprint")
    def _reprint(self, receipt_id: str) -> None:
        try:
            lines = self.app.service.reprint(receipt_id)
        except Exception as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.query_one("#receipt-lines", Static).update, "\n".join(lines))
        self.app.call_from_thread(self.app.notify, self.app.t("receipt.reprinted"))
