"""Kiosk mode: a citizen scans a notice → confirms the amount → pays by card → takes the receipt.

Large text, nothing an administrator would use, a language switch (F2), and an idle
reset back to the welcome page after `idle_reset_s` seconds without a key or a scan
(never while a payment is running).
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Digits, Static

from agent.ui.facade import PaymentRequest
from agent.ui.i18n import available_languages, translate_bindings
from agent.ui.screens.payment_steps import PaymentSteps
from agent.ui.widgets.payment.progress import PaymentProgressView
from agent.ui.widgets.payment.receipt import ReceiptView
from agent.ui.widgets.scan.scan_input import ScanInput
from agent.ui.widgets.status_bar import StatusBar
from protocol.domain import Tender
from protocol.money import Money


class KioskScreen(PaymentSteps, Screen):
    CSS_PATH = "kiosk.tcss"
    BINDINGS = [
        Binding("f2", "next_language", "keys.language"),
        Binding("escape", "cancel", "keys.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self, self.app.t)
        self.verdict: Any = None
        self.error_shown = False
        self.last_activity = time.monotonic()

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield StatusBar()
        with ContentSwitcher(initial="welcome", id="steps"):
            with Vertical(id="welcome"):
                yield Static(t("kiosk.welcome"), classes="big")
                yield Static(t("kiosk.scan_notice"), classes="big-hint")
                yield ScanInput(placeholder=t("kiosk.scan_placeholder"), id="scan-input")
                yield Static("", id="kiosk-error", classes="big-error")
                yield Static(self._languages_line(), id="languages", classes="hint")
            with Vertical(id="confirm"):
                yield Static(t("kiosk.confirm"), classes="big")
                with Center():
                    yield Digits("", id="amount")
                yield Static("", id="confirm-details", classes="big-hint")
                with Center():
                    yield Button(t("kiosk.pay_card"), id="pay", variant="success")
                yield Static(t("kiosk.cancel_hint"), classes="hint")
            yield PaymentProgressView(id="progress")
            yield ReceiptView(id="receipt", public=True)

    def _languages_line(self) -> Text:
        current = self.app.catalogue.language
        line = Text(self.app.t("kiosk.language_hint"))
        for code, name in available_languages():
            line.append("  ")
            line.append(f" {name} ", "bold reverse" if code == current else "")
        return line

    def on_mount(self) -> None:
        self.currency = getattr(self.app, "currency", "EUR")
        self.query_one("#scan-input", ScanInput).focus()
        self.set_interval(1.0, self._check_idle)

    # -- idle reset -------------------------------------------------------------------

    def on_key(self, event) -> None:
        self.last_activity = time.monotonic()

    def on_input_changed(self, event) -> None:
        self.last_activity = time.monotonic()

    def _check_idle(self) -> None:
        at_rest = self.query_one("#steps", ContentSwitcher).current == "welcome" and not self.error_shown
        if self.payment_running or at_rest:
            return
        if time.monotonic() - self.last_activity >= self.app.idle_reset_s:
            self.reset()

    def reset(self) -> None:
        self.verdict = None
        self.error_shown = False
        self.last_activity = time.monotonic()
        if self.app.catalogue.language != self.app.default_language:
            self.app.set_language(self.app.default_language)
            self.call_later(self.recompose)
            return
        self.query_one("#kiosk-error", Static).update("")
        self.query_one("#steps", ContentSwitcher).current = "welcome"
        self.query_one("#scan-input", ScanInput).focus()

    async def action_next_language(self) -> None:
        if self.query_one("#steps", ContentSwitcher).current != "welcome":
            return
        codes = [code for code, _ in available_languages()]
        current = self.app.catalogue.language
        self.app.set_language(codes[(codes.index(current) + 1) % len(codes)] if current in codes else "en")
        self.last_activity = time.monotonic()
        await self.recompose()
        self.query_one("#scan-input", ScanInput).focus()

    def action_cancel(self) -> None:
        if not self.payment_running and self.query_one("#steps", ContentSwitcher).current == "confirm":
            self.reset()

    # -- scan → confirm -----------------------------------------------------------------

    def handle_scan(self, code: str | None, error: str | None, source: str) -> None:
        self.last_activity = time.monotonic()
        if self.query_one("#steps", ContentSwitcher).current != "welcome":
            return
        if error is not None:
            self._error(self.app.t("kiosk.scan_failed"))
            return
        self._check(code)

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        # A citizen cannot act on layout advice; the repaired reading is only used if it verifies.
        self._check(message.report.repaired or message.code)

    @work(thread=True, exclusive=True, group="check")
    def _check(self, code: str) -> None:
        refused = None
        try:
            verdict = self.app.service.check_code(code)
            if verdict is not None and verdict.valid:
                codes = [c for c in ((verdict.fields or {}).get("positions") or []) if isinstance(c, str)]
                refused = self.app.service.card_refusal(codes, verdict.order_id)
        except Exception:
            verdict = None
        self.app.call_from_thread(self._show_confirm, verdict, refused)

    def _show_confirm(self, verdict: Any, refused: dict | None = None) -> None:
        t = self.app.t
        error = self.query_one("#kiosk-error", Static)
        if verdict is None or not verdict.valid:
            reason = t(f"verdict.{verdict.verdict}") if verdict is not None else t("kiosk.unavailable")
            self._error(t("kiosk.cannot_pay", reason=reason))
            return
        if not verdict.amount_minor:
            self._error(t("kiosk.open_amount"))     # a citizen does not type amounts at a kiosk
            return
        if refused is not None:
            # A kiosk takes only cards: a service step that does not take them is paid at a counter.
            self._error(t("activation.kiosk_card_not_active", service=(refused.get("details") or {}).get("service", "")))
            return
        status = self.app.agent_status
        if status is not None and status.terminal_state not in ("ready", "busy"):
            self._error(t("kiosk.card_unavailable"))
            return
        error.update("")
        self.verdict = verdict
        currency = verdict.currency or self.currency
        self.query_one("#amount", Digits).update(Money(verdict.amount_minor, currency).format())
        details = [currency]
        if (verdict.reference or {}).get("value"):
            details.append(t("verdict.reference") + ": " + verdict.reference["value"])
        if verdict.payer_name:
            details.append(verdict.payer_name)
        self.query_one("#confirm-details", Static).update("\n".join(details))
        self.query_one("#steps", ContentSwitcher).current = "confirm"
        self.query_one("#pay", Button).focus()

    def _error(self, text: str) -> None:
        self.error_shown = True
        self.last_activity = time.monotonic()
        self.query_one("#kiosk-error", Static).update(text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "pay" or self.verdict is None:
            return
        event.stop()
        v = self.verdict
        self.begin_payment(PaymentRequest(
            amount_minor=v.amount_minor, currency=v.currency or self.currency, tender=Tender.CARD,
            reference=dict(v.reference or {}), case_ref=v.case_ref, order_id=v.order_id,
            payer_name=v.payer_name, payer_id=v.payer_id, positions=[], cash_given_minor=None))

    def show_outcome(self, outcome: Any, error: str | None) -> None:
        super().show_outcome(outcome, error)
        self.last_activity = time.monotonic()
