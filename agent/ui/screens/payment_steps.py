"""The steps every paying screen shares: progress → (operator check) → receipt → next.

A screen using this mixin has a ContentSwitcher `#steps` with a PaymentProgressView
`#progress` and a ReceiptView `#receipt`, and a `reset()` that starts over.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import ContentSwitcher

from protocol.domain import JournalState

from agent.ui.messages import PaymentFinished
from agent.ui.screens.operator_check import OperatorCheckScreen
from agent.ui.widgets.payment.progress import PaymentProgressView
from agent.ui.widgets.payment.receipt import ReceiptView


class PaymentSteps:
    currency: str = "EUR"

    def begin_payment(self, request: Any) -> None:
        self.currency = request.currency
        self.query_one("#steps", ContentSwitcher).current = "progress"
        self.query_one("#progress", PaymentProgressView).start(request)

    @property
    def payment_running(self) -> bool:
        return self.query_one("#progress", PaymentProgressView).running

    def on_payment_finished(self, message: PaymentFinished) -> None:
        outcome = message.outcome
        if outcome is not None and outcome.outcome == JournalState.OPERATOR_CHECK:
            self._ask_operator(outcome)
            return
        self.show_outcome(outcome, message.error)

    def show_outcome(self, outcome: Any, error: str | None) -> None:
        self.query_one("#steps", ContentSwitcher).current = "receipt"
        self.query_one("#receipt", ReceiptView).show(outcome, self.currency, error)

    def _ask_operator(self, outcome: Any) -> None:
        def answered(charged: bool | None) -> None:
            if charged is None:
                # Not answered now: the core keeps the entry open and asks again at start-up.
                self.show_outcome(outcome, None)
                return
            status = self.app.agent_status
            operator = f"{self.app.mode}@{status.agent_id if status else 'agent'}"
            self.query_one("#progress", PaymentProgressView).resolve(outcome.payment_id, charged, operator)

        self.app.push_screen(OperatorCheckScreen(outcome.message, outcome.operator_hint), answered)

    def on_receipt_view_done(self, message: ReceiptView.Done) -> None:
        self.reset()
