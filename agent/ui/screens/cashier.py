"""Cashier mode: scan an order → verdict → charge → receipt; payer search; today's totals; end of day.

Codes come from the serial scanner (forwarded by the app as ScanReceived) or from the
scan line (typed or keyboard wedge, analysed for layout damage).  F1–F4 switch tabs.
Only a payment order is charged: a receipt scanned here is verified and shown as the
receipt of the payment it proves, and cannot be charged.  The card tender is offered only
when the order's service steps take cards at this office (agent/card_checks.py); otherwise
the tender step says why.  A payer picked in the payer search (F2, Enter on a row) fills
the payment of an order that names no payer, and is shown on the scan tab until the next one.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import (Button, ContentSwitcher, DataTable, Footer, Input, Static,
                             TabbedContent, TabPane)

from protocol.domain import Tender

from agent.scanner.wedge import WedgeReport
from agent.ui.facade import PaymentRequest
from agent.ui.format import money
from agent.ui.i18n import translate_bindings
from agent.ui.screens.payment_steps import PaymentSteps
from agent.ui.widgets.payment.progress import PaymentProgressView
from agent.ui.widgets.payment.receipt import ReceiptView, card_refusal_text
from agent.ui.widgets.payment.tender import TenderForm
from agent.ui.widgets.payment.verdict import VerdictView
from agent.ui.widgets.scan.scan_input import ScanInput, WedgeWarning
from agent.ui.widgets.status_bar import StatusBar


class CashierScreen(PaymentSteps, Screen):
    CSS_PATH = "cashier.tcss"
    BINDINGS = [
        Binding("f1", "tab('scan')", "keys.scan"),
        Binding("f2", "tab('payers')", "keys.payers"),
        Binding("f3", "tab('today')", "keys.today"),
        Binding("f4", "tab('eod')", "keys.eod"),
        Binding("f5", "charge", "keys.charge"),
        Binding("f6", "use_repaired", "keys.use_repaired", show=False),
        Binding("escape", "new_scan", "keys.new"),
        Binding("f7", "app.void", "keys.voids_void"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self, self.app.t)
        self.verdict: Any = None
        self.report: WedgeReport | None = None
        self.payer: dict | None = None      # picked in the payer search, for the next payment
        self.payer_rows: list[dict] = []

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield StatusBar()
        with TabbedContent(initial="scan", id="tabs"):
            with TabPane(t("cashier.tab_scan"), id="scan"):
                with ContentSwitcher(initial="verdict-step", id="steps"):
                    with Vertical(id="verdict-step"):
                        yield Static(t("cashier.scan_prompt"), classes="hint")
                        yield ScanInput(placeholder=t("cashier.scan_placeholder"), id="scan-input")
                        yield WedgeWarning(id="wedge")
                        yield VerdictView(id="verdict")
                        yield Static("", id="payer-chosen", classes="hint")
                        yield Static("", id="scan-error", classes="error")
                    yield Vertical(id="tender")
                    yield PaymentProgressView(id="progress")
                    yield ReceiptView(id="receipt")
            with TabPane(t("cashier.tab_payers"), id="payers"):
                yield Input(placeholder=t("cashier.payer_placeholder"), id="payer-search")
                yield DataTable(id="payer-table", cursor_type="row")
            with TabPane(t("cashier.tab_today"), id="today"):
                yield Static(t("cashier.today_title"), classes="title")
                yield DataTable(id="totals-table")
                yield Static(t("cashier.today_keys"), classes="hint")
            with TabPane(t("cashier.tab_eod"), id="eod"):
                yield Static(t("cashier.eod_hint"), classes="hint")
                yield Button(t("cashier.eod_run"), id="eod-run", variant="warning")
                yield Static("", id="eod-result")
                yield DataTable(id="eod-table")
        yield Footer()

    def on_mount(self) -> None:
        self.currency = getattr(self.app, "currency", "EUR")
        t = self.app.t
        self.query_one("#wedge", WedgeWarning).display = False
        self.query_one("#payer-chosen", Static).display = False
        self.query_one("#payer-table", DataTable).add_columns(t("cashier.col_payer"), t("cashier.col_payer_id"),
                                                              t("cashier.col_last_seen"), t("payers.col_last_order"))
        self.query_one("#totals-table", DataTable).add_columns(t("cashier.col_tender"), t("cashier.col_count"),
                                                               t("cashier.col_total"))
        self.query_one("#eod-table", DataTable).add_columns("", t("cashier.col_count"), t("cashier.col_total"))
        self.query_one("#scan-input", ScanInput).focus()

    def reset(self) -> None:
        self.verdict, self.report = None, None
        self._choose_payer(None)
        self.query_one("#verdict", VerdictView).show(None)
        self.query_one("#wedge", WedgeWarning).show(None)
        self.query_one("#scan-error", Static).update("")
        self.query_one("#steps", ContentSwitcher).current = "verdict-step"
        self.query_one("#scan-input", ScanInput).focus()

    def action_new_scan(self) -> None:
        if not self.payment_running:
            self.reset()

    def action_tab(self, tab: str) -> None:
        if self.payment_running:
            return   # the payment view stays in front until the terminal answers
        self.query_one("#tabs", TabbedContent).active = tab    # "today" loads on activation
        if tab == "payers":
            self.query_one("#payer-search", Input).focus()
        elif tab == "scan":
            self.query_one("#scan-input", ScanInput).focus()
        elif tab == "eod":
            self.query_one("#eod-run", Button).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "today":
            self._load_totals()

    # -- scanning ---------------------------------------------------------------------

    def handle_scan(self, code: str | None, error: str | None, source: str) -> None:
        """A serial scan: bytes as sent, no wedge analysis needed."""
        if error is not None:
            # A scanner problem (unplugged, line noise) must not pull the cashier off a tab.
            self.app.notify(error, title=self.app.t("cashier.scanner_problem"), severity="error", timeout=8)
            return
        if self.payment_running or self.query_one("#steps", ContentSwitcher).current != "verdict-step":
            self.app.notify(self.app.t("cashier.scan_ignored"), severity="warning")
            return
        self.query_one("#tabs", TabbedContent).active = "scan"
        self.query_one("#wedge", WedgeWarning).show(None)
        self.report = None
        self._check(code)

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        self.report = message.report
        self.query_one("#wedge", WedgeWarning).show(message.report)
        self._check(message.code)

    def action_use_repaired(self) -> None:
        if self.report is not None and self.report.repaired:
            self._check(self.report.repaired)

    @work(thread=True, exclusive=True, group="check")
    def _check(self, code: str) -> None:
        try:
            verdict = self.app.service.check_code(code)
            if getattr(verdict, "is_receipt", False):
                receipt = self.app.service.verify_receipt(code)
                self.app.call_from_thread(self._show_receipt, receipt)
                return
        except Exception as exc:
            self.app.call_from_thread(self._show_verdict, None, str(exc))
            return
        self.app.call_from_thread(self._show_verdict, verdict, None)

    def _show_receipt(self, receipt: Any) -> None:
        """A receipt is proof of a payment made: shown, verified or not, and never charged."""
        t = self.app.t
        self.verdict = None
        self.query_one("#verdict", VerdictView).show(receipt)
        verified = t("clerk.receipt_verified") if receipt.valid else t("clerk.receipt_not_verified")
        error = self.query_one("#scan-error", Static)
        error.update(f"{t('refusal.receipt_as_order')}\n{verified}")
        error.set_classes("error")

    def _show_verdict(self, verdict: Any, error: str | None) -> None:
        self.verdict = verdict
        self.query_one("#verdict", VerdictView).show(verdict)
        hint = ""
        if error:
            hint = error
        elif verdict is not None and verdict.valid:
            hint = self.app.t("cashier.charge_hint")
        elif self.report is not None and self.report.repaired:
            hint = self.app.t("cashier.repaired_hint")
        self.query_one("#scan-error", Static).update(hint)
        self.query_one("#scan-error", Static).set_classes("hint" if verdict is not None and verdict.valid else "error")

    # -- charging ---------------------------------------------------------------------

    def action_charge(self) -> None:
        if self.query_one("#steps", ContentSwitcher).current != "verdict-step":
            return
        verdict = self.verdict
        if verdict is None or not verdict.valid:
            self.query_one("#scan-error", Static).update(self.app.t("cashier.cannot_charge"))
            return
        codes = [c for c in ((verdict.fields or {}).get("positions") or []) if isinstance(c, str)]
        self._offer_tenders(codes, verdict.order_id)

    @work(thread=True, exclusive=True, group="tender")
    def _offer_tenders(self, codes: list[str], order_id: str | None) -> None:
        try:
            refused = self.app.service.card_refusal(codes, order_id)
        except Exception as exc:      # the store is unreadable: the card is not offered, the reason shown
            refused = {"reason": "", "message": str(exc), "details": {}}
        self.app.call_from_thread(self._show_tender, refused)

    def _show_tender(self, refused: dict | None) -> None:
        verdict = self.verdict
        if verdict is None:
            return
        tenders = list(Tender)
        if self.app.agent_status is not None and self.app.agent_status.terminal_state == "not configured":
            tenders = [Tender.CASH]
        note = ""
        if refused is not None and Tender.CARD in tenders:
            tenders = [Tender.CASH]
            note = card_refusal_text(refused, self.app.t)
        container = self.query_one("#tender", Vertical)
        container.remove_children()
        container.mount(Static(self.app.t("cashier.charging", reference=(verdict.reference or {}).get("value", "")),
                               classes="title"))
        container.mount(TenderForm(verdict.amount_minor, verdict.currency or self.currency, tenders, note=note))
        self.query_one("#steps", ContentSwitcher).current = "tender"

    def on_tender_form_chosen(self, message: TenderForm.Chosen) -> None:
        message.stop()
        v = self.verdict
        # The order's own payer, else the one picked in the payer search.
        payer = self.payer if not (v.payer_name or v.payer_id) else None
        self.begin_payment(PaymentRequest(
            amount_minor=message.amount_minor, currency=v.currency or self.currency, tender=message.tender,
            reference=dict(v.reference or {}), case_ref=v.case_ref, order_id=v.order_id,
            payer_name=payer.get("name") if payer else v.payer_name,
            payer_id=payer.get("id") if payer else v.payer_id, positions=[],
            cash_given_minor=message.cash_given_minor))

    # -- payers, totals, end of day ---------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "payer-search" and len(event.value.strip()) >= 2:
            self._search_payers(event.value.strip())

    @work(thread=True, exclusive=True, group="payers")
    def _search_payers(self, text: str) -> None:
        try:
            rows = self.app.service.search_payers(text)
        except Exception as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show_payers, rows)

    def _show_payers(self, rows: list[dict]) -> None:
        table = self.query_one("#payer-table", DataTable)
        table.clear()
        self.payer_rows = list(rows)
        for row in rows:
            table.add_row(row.get("name") or "", row.get("id") or "", str(row.get("last_seen", "") or "")[:10],
                          row.get("last_order_id") or "")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "payer-table" or not 0 <= event.cursor_row < len(self.payer_rows):
            return
        event.stop()
        self._choose_payer(self.payer_rows[event.cursor_row])
        self.action_tab("scan")

    def _choose_payer(self, payer: dict | None) -> None:
        self.payer = payer
        shown = self.query_one("#payer-chosen", Static)
        shown.display = payer is not None
        if payer is None:
            shown.update("")
        else:
            shown.update(self.app.t("payers.chosen", name=payer.get("name") or "", id=payer.get("id") or "—"))

    @work(thread=True, exclusive=True, group="totals")
    def _load_totals(self) -> None:
        try:
            totals = self.app.service.totals_today()
        except Exception as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show_totals, totals)

    def _show_totals(self, totals: dict) -> None:
        table = self.query_one("#totals-table", DataTable)
        table.clear()
        count_all = total_all = 0
        for tender, (count, total) in sorted(totals.items()):
            table.add_row(self.app.t(f"tender.{tender}"), str(count), money(total, self.currency))
            count_all, total_all = count_all + count, total_all + total
        table.add_row(self.app.t("cashier.all_tenders"), str(count_all), money(total_all, self.currency))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "eod-run":
            event.stop()
            event.button.disabled = True
            self.query_one("#eod-result", Static).update(self.app.t("cashier.eod_running"))
            self._end_of_day()

    @work(thread=True, exclusive=True, group="eod")
    def _end_of_day(self) -> None:
        try:
            comparison, error = self.app.service.end_of_day(), None
        except Exception as exc:
            comparison, error = None, str(exc)
        self.app.call_from_thread(self._show_eod, comparison, error)

    def _show_eod(self, eod: Any, error: str | None) -> None:
        t = self.app.t
        self.query_one("#eod-run", Button).disabled = False
        result = self.query_one("#eod-result", Static)
        if eod is None:
            result.set_classes("error")
            result.update(t("cashier.eod_failed", error=error))
            return
        result.set_classes("error" if eod.mismatch else "ok")
        result.update(("⚠ " + t("cashier.eod_mismatch") if eod.mismatch else "✓ " + t("cashier.eod_match"))
                      + (f"\n{eod.message}" if eod.message else ""))
        table = self.query_one("#eod-table", DataTable)
        table.clear()
        table.add_row(t("cashier.eod_terminal"), str(eod.terminal_count), money(eod.terminal_total_minor, eod.currency))
        table.add_row(t("cashier.eod_journal"), str(eod.journal_count), money(eod.journal_total_minor, eod.currency))
