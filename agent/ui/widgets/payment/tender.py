"""Pick the tender: card, or cash with the amount given and the change worked out live.

With a handling fee the amount depends on the tender: the screen passes what the core
computed per tender (`show_quotes`), and the form shows the fee, included or taken apart.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from agent.ui.format import money
from protocol.domain import Tender
from protocol.money import Money, MoneyError


class TenderForm(Vertical):
    DEFAULT_CSS = """
    TenderForm { height: auto; padding: 0 1; }
    TenderForm .total { text-style: bold; padding: 1 1; }
    TenderForm Horizontal { height: auto; }
    TenderForm Input { width: 24; }
    """

    class Chosen(Message):
        def __init__(self, tender: str, amount_minor: int, cash_given_minor: int | None) -> None:
            super().__init__()
            self.tender = tender
            self.amount_minor = amount_minor
            self.cash_given_minor = cash_given_minor

    def __init__(self, amount_minor: int | None, currency: str, tenders: list[str], *, note: str = "",
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.amount_minor = amount_minor
        self.currency = currency
        self.tenders = tenders or list(Tender)
        self.note = note          # why a tender is not offered (the card, for a step not activated)
        self.amounts: dict[str, int] = {}      # tender → the amount with its handling fee, once quoted

    def compose(self) -> ComposeResult:
        t = self.app.t
        if self.amount_minor is None:
            yield Label(t("tender.open_amount"), classes="hint")
            yield Input(placeholder=t("tender.amount_placeholder"), id="amount")
        else:
            yield Static(t("tender.total", amount=money(self.amount_minor, self.currency)), classes="total")
        with Horizontal():
            if Tender.CARD in self.tenders:
                yield Button(t("tender.card"), id=Tender.CARD, variant="primary")
            if Tender.CASH in self.tenders:
                yield Input(placeholder=t("tender.cash_given"), id="cash-given")
                yield Button(t("tender.cash"), id=Tender.CASH)
        if self.note:
            yield Static(self.note, id="tender-note", classes="hint")
        yield Static("", id="fees", classes="hint")
        yield Static("", id="change", classes="hint")
        yield Static("", id="tender-error", classes="error")

    def on_mount(self) -> None:
        first = self.query("#amount") or self.query("#card") or self.query("#cash-given")
        if first:
            first.first().focus()

    def _parse(self, input_id: str) -> int | None:
        found = self.query(f"#{input_id}")
        if not found or not found.first(Input).value.strip():
            return None
        return Money.parse(found.first(Input).value, self.currency).minor

    def show_quotes(self, quotes: dict[str, dict]) -> None:
        """The core's figures per tender: amount_minor, fee_minor, fee_apart_minor (or an error)."""
        t, lines = self.app.t, []
        for tender, quote in quotes.items():
            if "error" in quote:
                lines.append(t("tender.quote_refused", tender=t(f"tender.{tender}"), error=quote["error"]))
                continue
            self.amounts[tender] = quote["amount_minor"]
            values = {"tender": t(f"tender.{tender}"), "amount": money(quote["amount_minor"], self.currency)}
            if quote.get("fee_apart_minor"):
                lines.append(t("tender.fee_apart", fee=money(quote["fee_apart_minor"], self.currency), **values))
            elif quote.get("fee_minor"):
                lines.append(t("tender.fee_included", fee=money(quote["fee_minor"], self.currency), **values))
        fees = self.query("#fees")
        if fees:        # a form being taken down (the clerk went back) has lost its children already
            fees.first(Static).update("\n".join(lines))

    def _amount(self, tender: str | None = None) -> int:
        if tender in self.amounts:
            return self.amounts[tender]
        if self.amount_minor is not None:
            return self.amount_minor
        amount = self._parse("amount")
        if amount is None or amount <= 0:
            raise MoneyError(self.app.t("tender.amount_missing"))
        return amount

    def on_input_changed(self, event: Input.Changed) -> None:
        change = self.query_one("#change", Static)
        try:
            given, amount = self._parse("cash-given"), self._amount(Tender.CASH)
        except MoneyError:
            change.update("")
            return
        if given is None:
            change.update("")
        elif given < amount:
            change.update(self.app.t("tender.cash_short", short=money(amount - given, self.currency)))
        else:
            change.update(self.app.t("tender.change", change=money(given - amount, self.currency)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "cash-given":
            self._choose(Tender.CASH)
        elif event.input.id == "amount":
            self.screen.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._choose(Tender(event.button.id or Tender.CARD))

    def _choose(self, tender: Tender) -> None:
        error = self.query_one("#tender-error", Static)
        try:
            amount = self._amount(tender)
            given = self._parse("cash-given") if tender == Tender.CASH else None
        except MoneyError as exc:
            error.update(str(exc))
            return
        if tender == Tender.CASH and (given is None or given < amount):
            error.update(self.app.t("tender.cash_short_error"))
            return
        error.update("")
        self.post_message(self.Chosen(tender, amount, given))
