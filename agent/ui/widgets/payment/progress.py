"""A payment in progress: the terminal's own texts and the time elapsed (PIN entry can take a minute).

`start(request)` runs service.pay in a worker thread; progress texts arrive from that
thread as messages; the result is posted as `PaymentFinished`, which bubbles up to the
screen.  `resolve(payment_id, charged)` does the same for an operator check.
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from agent.ui.format import elapsed, money
from agent.ui.messages import PaymentFinished, PaymentProgress

SHOWN_TEXTS = 6


class PaymentProgressView(Vertical):
    DEFAULT_CSS = """
    PaymentProgressView { height: auto; padding: 0 1; }
    PaymentProgressView #progress-title { text-style: bold; padding: 1 0 0 0; }
    PaymentProgressView #progress-texts { height: auto; padding: 1 0; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._texts: list[str] = []
        self._started = 0.0
        self._timer = None
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static("", id="progress-title")
        yield Static("", id="progress-elapsed", classes="hint")
        yield Static("", id="progress-texts")

    def start(self, request: Any) -> None:
        t = self.app.t
        self._begin(t("progress.title", amount=money(request.amount_minor, request.currency),
                      tender=t(f"tender.{request.tender}")))
        self._pay(request)

    def resolve(self, payment_id: str, charged: bool, operator: str) -> None:
        self._begin(self.app.t("progress.resolving"))
        self._resolve(payment_id, charged, operator)

    def _begin(self, title: str) -> None:
        self._texts = []
        self.running = True
        self._started = time.monotonic()
        self.query_one("#progress-title", Static).update(title)
        self.query_one("#progress-texts", Static).update(self.app.t("progress.waiting"))
        self._tick()
        if self._timer is None:
            self._timer = self.set_interval(0.5, self._tick)
        else:
            self._timer.resume()

    def _tick(self) -> None:
        if self.running:
            self.query_one("#progress-elapsed", Static).update(
                self.app.t("progress.elapsed", elapsed=elapsed(time.monotonic() - self._started)))

    def on_payment_progress(self, message: PaymentProgress) -> None:
        self._texts = (self._texts + [message.text])[-SHOWN_TEXTS:]
        self.query_one("#progress-texts", Static).update("\n".join(
            ("▶ " if i == len(self._texts) - 1 else "  ") + text for i, text in enumerate(self._texts)))

    def on_payment_finished(self, message: PaymentFinished) -> None:
        # Stop the clock; the message goes on bubbling to the screen.
        self.running = False
        if self._timer is not None:
            self._timer.pause()

    @work(thread=True, exclusive=True, group="payment")
    def _pay(self, request: Any) -> None:
        try:
            outcome = self.app.service.pay(request, lambda text: self.post_message(PaymentProgress(text)))
        except Exception as exc:   # shown to the operator; the journal is the core's job
            self.post_message(PaymentFinished(None, error=str(exc) or type(exc).__name__))
            return
        self.post_message(PaymentFinished(outcome))

    @work(thread=True, exclusive=True, group="payment")
    def _resolve(self, payment_id: str, charged: bool, operator: str) -> None:
        try:
            outcome = self.app.service.resolve_operator_check(payment_id, charged, operator)
        except Exception as exc:
            self.post_message(PaymentFinished(None, error=str(exc) or type(exc).__name__))
            return
        self.post_message(PaymentFinished(outcome))
