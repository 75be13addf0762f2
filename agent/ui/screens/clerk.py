"""Clerk mode: case number → fee positions → tender → terminal progress → receipt.

Fee positions come from the cached catalogue (works offline), by service step; when the hub
answers a case lookup, its amount and positions are preselected.  Under the table the clerk
sees the highlighted position's legal act and notes.  Picking a position of a price list adds
that list's mandatory positions, which cannot be taken out while the list is in the basket.
D chooses the next of a position's discounts (then its reason is typed: certificate, category);
the total is computed with the discounts, and the tender step shows the handling fee per tender
as the core computes it (`quote`).  A receipt QR scanned (or
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
from agent.ui.widgets.payment.receipt import ReceiptView, card_refusal_text
from agent.ui.widgets.payment.tender import TenderForm
from agent.ui.widgets.payment.verdict import VerdictView
from agent.ui.widgets.status_bar import StatusBar
from protocol import fees
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
        Binding("d", "discount", "keys.discount", show=False),
        Binding("f7", "app.void", "keys.voids_void"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self, self.app.t)
        self.case_ref = ""
        self.lookup: Any = None
        self.positions: list[Any] = []
        self.quantities: dict[str, int] = {}
        self.discounts: dict[str, dict] = {}       # code → {"name", "reason"} chosen for it

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
                yield Static("", id="position-info", classes="hint")
                yield Input(placeholder=t("clerk.discount_reason_placeholder"), id="discount-reason",
                            classes="hidden")
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
        table.add_column(t("clerk.col_discount"), key="discount", width=16)
        self.query_one("#case-ref", Input).focus()

    def reset(self) -> None:
        self.case_ref, self.lookup, self.quantities, self.discounts = "", None, {}, {}
        self.query_one("#case-message", Static).update("")
        self.query_one("#steps", ContentSwitcher).current = "case"
        self.query_one("#case-ref", Input).value = ""
        self.query_one("#case-ref", Input).focus()

    # -- step 1: the case -------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "discount-reason":
            event.stop()
            self._take_reason(event.value)
            return
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
        self.quantities, self.discounts = {}, {}
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
                          str(self.quantities.get(code, "")), "", key=code)
        self._show_total()
        self._show_info()
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
            code = _get(position, "code")
            qty = self.quantities.get(code, 0)
            if qty:
                unit = int(_get(position, "unit_minor", 0))
                amount = unit * qty
                pick = {"code": code, "name": _get(position, "name"), "quantity": qty, "unit_minor": unit,
                        "vat_rate_bp": _get(position, "vat_rate_bp", 0)}
                if _get(position, "price_list"):
                    pick["price_list"] = _get(position, "price_list")
                chosen_discount = self.discounts.get(code)
                if chosen_discount:
                    pick["discount"] = {"name": chosen_discount["name"], "reason": chosen_discount.get("reason", "")}
                    amount -= self._discount_amount(position, chosen_discount["name"], unit * qty)
                pick["amount_minor"] = amount
                chosen.append(pick)
        return chosen

    def _position(self, code: str) -> Any:
        return next((p for p in self.positions if _get(p, "code") == code), None)

    def _discount_amount(self, position: Any, name: str, gross: int) -> int:
        offered = next((d for d in _get(position, "discounts", None) or [] if d.get("name") == name), None)
        return fees.discount_amount(gross, offered.get("percent_bp"), offered.get("amount_minor")) if offered else 0

    def _highlighted(self) -> Any:
        table = self.query_one("#position-table", DataTable)
        if not self.positions or table.cursor_row is None or not 0 <= table.cursor_row < len(self.positions):
            return None
        return self.positions[table.cursor_row]

    def _show_info(self) -> None:
        """The highlighted position's legal act and notes (seed 001: the clerk tells the citizen why)."""
        position, t = self._highlighted(), self.app.t
        parts = []
        if position is not None:
            if _get(position, "legal_act"):
                parts.append(t("clerk.legal_act", act=_get(position, "legal_act")))
            if _get(position, "notes"):
                parts.append(t("clerk.notes", notes=_get(position, "notes")))
            if _get(position, "discounts", None):
                parts.append(t("clerk.discounts_offered",
                               names=", ".join(d["name"] for d in _get(position, "discounts"))))
        self.query_one("#position-info", Static).update(" · ".join(parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_info()

    def _total(self) -> int:
        return sum(p["amount_minor"] for p in self._selected())

    def _show_total(self) -> None:
        chosen = self._selected()
        self.query_one("#selection-total", Static).update(
            self.app.t("clerk.selection", count=len(chosen), total=money(self._total(), self.currency)))

    def _set_quantity(self, code: str, qty: int) -> None:
        self.quantities[code] = qty
        self.query_one("#position-table", DataTable).update_cell(code, "qty", str(qty or ""))

    def _mandatory_of(self, price_list: str | None) -> list[Any]:
        """The priced mandatory positions of a price list (a flat catalogue's have no list: none)."""
        if not price_list:
            return []
        return [p for p in self.positions if _get(p, "price_list") == price_list and _get(p, "mandatory")
                and not any(_get(c, "parent_code") == _get(p, "code") for c in self.positions)]

    def _change_quantity(self, delta: int) -> None:
        position = self._highlighted()
        if position is None:
            return
        code = _get(position, "code")
        qty = max(0, self.quantities.get(code, 0) + delta)
        price_list = _get(position, "price_list")
        mandatory = self._mandatory_of(price_list)
        others = any(self.quantities.get(_get(p, "code"), 0) for p in self.positions
                     if _get(p, "price_list") == price_list and p not in mandatory and _get(p, "code") != code)
        if qty == 0 and position in mandatory and others:
            self.query_one("#position-info", Static).update(self.app.t("clerk.mandatory_kept",
                                                                       name=_get(position, "name")))
            return
        self._set_quantity(code, qty)
        if qty and position not in mandatory:
            for needed in mandatory:       # the service's mandatory positions come with it
                if not self.quantities.get(_get(needed, "code")):
                    self._set_quantity(_get(needed, "code"), 1)
        self._show_total()

    def action_discount(self) -> None:
        """The highlighted position's next discount (none after the last); its reason is asked next."""
        if self.query_one("#steps", ContentSwitcher).current != "positions":
            return
        position = self._highlighted()
        offered = [d["name"] for d in (_get(position, "discounts", None) or [])] if position is not None else []
        if not offered:
            self.query_one("#position-info", Static).update(self.app.t("clerk.no_discounts"))
            return
        code = _get(position, "code")
        current = (self.discounts.get(code) or {}).get("name")
        following = offered[offered.index(current) + 1] if current in offered and current != offered[-1] else None
        if current is None:
            following = offered[0]
        table = self.query_one("#position-table", DataTable)
        reason = self.query_one("#discount-reason", Input)
        if following is None:
            self.discounts.pop(code, None)
            table.update_cell(code, "discount", "")
            reason.add_class("hidden")
            table.focus()
        else:
            self.discounts[code] = {"name": following, "reason": ""}
            table.update_cell(code, "discount", following + " ?")
            reason.value = ""
            reason.remove_class("hidden")
            reason.focus()
        self._show_total()

    def _take_reason(self, text: str) -> None:
        position = self._highlighted()
        if position is None or _get(position, "code") not in self.discounts:
            return
        code = _get(position, "code")
        if not text.strip():
            self.query_one("#position-info", Static).update(self.app.t("clerk.discount_reason_needed",
                                                                       name=self.discounts[code]["name"]))
            return
        self.discounts[code]["reason"] = text.strip()
        self.query_one("#position-table", DataTable).update_cell(code, "discount", self.discounts[code]["name"])
        self.query_one("#discount-reason", Input).add_class("hidden")
        self.query_one("#position-table", DataTable).focus()
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
        if not self._selected():
            self.query_one("#selection-total", Static).update(self.app.t("clerk.nothing_selected"))
            return
        missing = next((d for d in self._selected() if "discount" in d and not d["discount"]["reason"]), None)
        if missing is not None:
            self.query_one("#position-info", Static).update(self.app.t("clerk.discount_reason_needed",
                                                                       name=missing["discount"]["name"]))
            return
        self._offer_tenders([p["code"] for p in self._selected()])

    @work(thread=True, exclusive=True, group="tender")
    def _offer_tenders(self, codes: list[str]) -> None:
        try:
            refused = self.app.service.card_refusal(codes)
        except Exception as exc:      # the store is unreadable: the card is not offered, the reason shown
            refused = {"reason": "", "message": str(exc), "details": {}}
        self.app.call_from_thread(self._show_tender, refused)

    def _show_tender(self, refused: dict | None) -> None:
        tenders = sorted({t for p in self._selected() for t in (self._tenders_of(p["code"]) or [])}) \
            or list(Tender)
        if self.app.agent_status is not None and self.app.agent_status.terminal_state == "not configured":
            tenders = [t for t in tenders if t != Tender.CARD]
        note = ""
        if refused is not None and Tender.CARD in tenders:
            tenders = [t for t in tenders if t != Tender.CARD]
            note = card_refusal_text(refused, self.app.t)
        if not tenders:
            self.query_one("#selection-total", Static).update(note or self.app.t("clerk.nothing_selected"))
            return
        container = self.query_one("#tender", Vertical)
        container.remove_children()
        container.mount(Static(self.app.t("clerk.case_header", case=self.case_ref), classes="title"))
        container.mount(TenderForm(self._total(), self.currency, tenders, note=note))
        self.query_one("#steps", ContentSwitcher).current = "tender"
        self._quote(self._selected(), tenders)

    @work(thread=True, exclusive=True, group="quote")
    def _quote(self, picks: list[dict], tenders: list[str]) -> None:
        """What each tender costs with the handling fee, as the core computes it (a double has none)."""
        quote = getattr(self.app.service, "quote", None)
        if quote is None:
            return
        quotes = {}
        for tender in tenders:
            try:
                quotes[tender] = quote(picks, tender)
            except Exception as exc:     # a refusal: shown where the tender is chosen
                quotes[tender] = {"error": str(exc)}
        self.app.call_from_thread(self._show_quotes, quotes)

    def _show_quotes(self, quotes: dict) -> None:
        for form in self.query(TenderForm):
            form.show_quotes(quotes)

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
        reason = self.query_one("#discount-reason", Input)
        if step == "positions" and not reason.has_class("hidden"):
            reason.add_class("hidden")
            self.query_one("#position-table", DataTable).focus()
        elif step == "positions":
            self.reset()
        elif step == "tender":
            self.query_one("#steps", ContentSwitcher).current = "positions"
            self.query_one("#position-table", DataTable).focus()
