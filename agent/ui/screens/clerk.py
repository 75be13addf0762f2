"""Clerk mode: case number → fee positions → tender → terminal progress → receipt.

Fee positions come from the cached catalogue (works offline); when the hub answers a
case lookup, its amount and positions are preselected.  A receipt QR scanned (or
typed) at the case prompt is verified offline instead (DESIGN.md step 8): verified,
forged, unknown key or revoked.  Every service call runs in a worker thread.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Footer, Input, Static

from agent.ui.facade import PaymentRequest
from agent.ui.format import money
from agent.ui.i18n import translate_bindings
from agent.ui.screens.payment_steps import PaymentSteps
from agent.ui.widgets.payment.progress import PaymentProgressView
from agent.ui.widgets.payment.receipt import ReceiptView
from agent.ui.widgets.payment.tender import TenderForm
from agent.ui.widgets.payment.verdict import VerdictView
from agent.ui.widgets.status_bar import StatusBar
from protocol.domain import ReferenceFormat, Tender
from protocol.qr import detect_format


def _get(position: Any, name: str, default: Any = None) -> Any:
    return position.get(name, default) if isinstance(position, dict) else getattr(position, name, default)


class ClerkScreen(PaymentSteps, Screen):
    CSS_PATH = "clerk.tcss"
    BINDINGS = [
        Binding("escape", "back", "keys.back"),
        Binding("minus", "less", "keys.less", show=False),
        Binding("f2", "to_tender", "keys.tender"),
        Binding("f7", "app.void", "keys.voids_void"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self, self.app.t)
        self.case_ref = ""
        self.lookup: Any = None
        self.positions: list[Any] = []
        self.quantities: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield StatusBar()
        with ContentSwitcher(initial="case", id="steps"):
            with Vertical(id="case"):
                yield Static(t("clerk.title"), classes="title")
                yield Static(t("clerk.case_prompt"), classes="hint")
                yield Input(placeholder=t("clerk.case_placeholder"), id="case-ref")
                yield Static("", id="case-message", classes="hint")
                yield VerdictView(id="receipt-verdict")
            with Vertical(id="positions"):
                yield Static("", id="case-header", classes="title")
                yield Static("", id="lookup-message", classes="hint")
                yield DataTable(id="position-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="selection-total", classes="title")
                yield Static(t("clerk.positions_keys"), classes="hint")
            yield Vertical(id="tender")
            yield PaymentProgressView(id="progress")
            yield ReceiptView(id="receipt")
        yield Footer()

    def on_mount(self) -> None:
        self.currency = getattr(self.app, "currency", "EUR")
        table = self.query_one("#position-table", DataTable)
        t = self.app.t
        table.add_column(t("clerk.col_code"), key="code")
        table.add_column(t("clerk.col_name"), key="name")
        table.add_column(t("clerk.col_price"), key="price")
        table.add_column(t("clerk.col_qty"), key="qty")
        self.query_one("#case-ref", Input).focus()

    def reset(self) -> None:
        self.case_ref, self.lookup, self.quantities = "", None, {}
        self.query_one("#case-message", Static).update("")
        self.query_one("#steps", ContentSwitcher).current = "case"
        self.query_one("#case-ref", Input).value = ""
        self.query_one("#case-ref", Input).focus()

    # -- step 1: the case -------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "case-ref":
            return
        event.stop()
        ref = event.value.strip()
        if not ref:
            self.query_one("#case-message", Static).update(self.app.t("clerk.case_missing"))
            return
        if detect_format(ref) == "cp-receipt":
            event.input.value = ""
            self.handle_scan(ref, None, "keyboard")
            return
        self.query_one("#receipt-verdict", VerdictView).show(None)
        self.case_ref = ref
        self.query_one("#case-message", Static).update(self.app.t("clerk.looking_up", case=ref))
        self._load_case(ref)

    @work(thread=True, exclusive=True, group="case")
    def _load_case(self, ref: str) -> None:
        service = self.app.service
        lookup = None
        note = ""
        try:
            if self.app.agent_status is None or self.app.agent_status.online:
                lookup = service.lookup_case(ref)
        except Exception as exc:   # offline or hub trouble: the cached catalogue still works
            note = self.app.t("clerk.lookup_failed", error=str(exc))
        try:
            catalogue = service.catalogue()
        except Exception as exc:
            self.app.call_from_thread(self.query_one("#case-message", Static).update,
                                      self.app.t("clerk.catalogue_failed", error=str(exc)))
            return
        self.app.call_from_thread(self._show_positions, ref, lookup, catalogue, note)

    def _show_positions(self, ref: str, lookup: Any, catalogue: list[Any], note: str) -> None:
        t = self.app.t
        self.lookup = lookup
        self.positions = list(catalogue)
        self.quantities = {}
        if lookup is not None:
            self.currency = lookup.currency or self.currency
            known = {_get(p, "code") for p in self.positions}
            for position in lookup.positions or []:
                code = _get(position, "code")
                if code not in known:
                    self.positions.insert(0, position)
                self.quantities[code] = int(_get(position, "quantity", 1) or 1)
            message = lookup.message or t("clerk.lookup_found")
            if lookup.payer_name:
                message += " · " + lookup.payer_name
        else:
            message = note or t("clerk.lookup_none")
        self.query_one("#case-header", Static).update(t("clerk.case_header", case=ref))
        self.query_one("#lookup-message", Static).update(message)
        table = self.query_one("#position-table", DataTable)
        table.clear()
        for position in self.positions:
            code = _get(position, "code")
            mark = "*" if _get(position, "mandatory") else ""
            table.add_row(code, mark + _get(position, "name", ""),
                          money(_get(position, "unit_minor"), self.currency),
                          str(self.quantities.get(code, "")), key=code)
        self._show_total()
        self.query_one("#steps", ContentSwitcher).current = "positions"
        table.focus()

    # -- a receipt scanned at the desk -------------------------------------------------

    def handle_scan(self, code: str | None, error: str | None, source: str) -> None:
        if self.query_one("#steps", ContentSwitcher).current != "case":
            self.app.notify(self.app.t("cashier.scan_ignored"), severity="warning")
            return
        if error is not None:
            self.app.notify(error, title=self.app.t("cashier.scanner_problem"), severity="error")
            return
        if detect_format(code) != "cp-receipt":
            # A case number printed as a barcode: take it as typed.
            self.query_one("#case-ref", Input).value = code
            return
        self.query_one("#case-message", Static).update(self.app.t("clerk.verifying_receipt"))
        self._verify_receipt(code)

    @work(thread=True, exclusive=True, group="verify")
    def _verify_receipt(self, code: str) -> None:
        try:
            verdict, error = self.app.service.verify_receipt(code), None
        except Exception as exc:
            verdict, error = None, str(exc)
        self.app.call_from_thread(self._show_receipt_verdict, verdict, error)

    def _show_receipt_verdict(self, verdict: Any, error: str | None) -> None:
        t = self.app.t
        message = error or (t("clerk.receipt_verified") if verdict.valid else t("clerk.receipt_not_verified"))
        self.query_one("#case-message", Static).update(message)
        self.query_one("#receipt-verdict", VerdictView).show(verdict)

    # -- step 2: positions ------------------------------------------------------------

    def _selected(self) -> list[dict]:
        chosen = []
        for position in self.positions:
            qty = self.quantities.get(_get(position, "code"), 0)
            if qty:
                unit = int(_get(position, "unit_minor", 0))
                chosen.append({"code": _get(position, "code"), "name": _get(position, "name"),
                               "quantity": qty, "unit_minor": unit, "amount_minor": unit * qty,
                               "vat_rate_bp": _get(position, "vat_rate_bp", 0)})
        return chosen

    def _total(self) -> int:
        return sum(p["amount_minor"] for p in self._selected())

    def _show_total(self) -> None:
        chosen = self._selected()
        self.query_one("#selection-total", Static).update(
            self.app.t("clerk.selection", count=len(chosen), total=money(self._total(), self.currency)))

    def _change_quantity(self, delta: int) -> None:
        table = self.query_one("#position-table", DataTable)
        if not self.positions:
            return
        code = _get(self.positions[table.cursor_row], "code")
        qty = max(0, self.quantities.get(code, 0) + delta)
        self.quantities[code] = qty
        table.update_cell(code, "qty", str(qty or ""))
        self._show_total()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._change_quantity(+1)

    def action_less(self) -> None:
        if self.query_one("#steps", ContentSwitcher).current == "positions":
            self._change_quantity(-1)

    # -- step 3: tender ---------------------------------------------------------------

    def action_to_tender(self) -> None:
        if self.query_one("#steps", ContentSwitcher).current != "positions":
            return
        if self._total() <= 0:
            self.query_one("#selection-total", Static).update(self.app.t("clerk.nothing_selected"))
            return
        tenders = sorted({t for p in self._selected() for t in (self._tenders_of(p["code"]) or [])}) \
            or list(Tender)
        if self.app.agent_status is not None and self.app.agent_status.terminal_state == "not configured":
            tenders = [t for t in tenders if t != Tender.CARD]
        container = self.query_one("#tender", Vertical)
        container.remove_children()
        container.mount(Static(self.app.t("clerk.case_header", case=self.case_ref), classes="title"))
        container.mount(TenderForm(self._total(), self.currency, tenders))
        self.query_one("#steps", ContentSwitcher).current = "tender"

    def _tenders_of(self, code: str) -> list[str]:
        for position in self.positions:
            if _get(position, "code") == code:
                return list(_get(position, "tenders", None) or [])
        return []

    def on_tender_form_chosen(self, message: TenderForm.Chosen) -> None:
        message.stop()
        lookup = self.lookup
        self.begin_payment(PaymentRequest(
            amount_minor=message.amount_minor, currency=self.currency, tender=message.tender,
            reference={"format": ReferenceFormat.CASE, "value": self.case_ref}, case_ref=self.case_ref,
            order_id=None, payer_name=lookup.payer_name if lookup else None,
            payer_id=lookup.payer_id if lookup else None, positions=self._selected(),
            cash_given_minor=message.cash_given_minor))

    def action_back(self) -> None:
        step = self.query_one("#steps", ContentSwitcher).current
        if step == "positions":
            self.reset()
        elif step == "tender":
            self.query_one("#steps", ContentSwitcher).current = "positions"
            self.query_one("#position-table", DataTable).focus()
