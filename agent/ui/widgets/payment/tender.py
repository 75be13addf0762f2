"""Pick the tender: card, or cash with the amount given and the change worked out live."""

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

    def _amount(self) -> int:
        if self.amount_minor is not None:
            return self.amount_minor
        amount = self._parse("amount")
        if amount is None or amount <= 0:
            raise MoneyError(self.app.t("tender.amount_missing"))
        return amount

    def on_input_changed(self, event: Input.Changed) -> None:
        change = self.query_one("#change", Static)
        try:
            given, amount = self._parse("cash-given"), self._amount()
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
            amount = self._amount()
            given = self._parse("cash-given") if tender == Tender.CASH else None
        except MoneyError as exc:
            error.update(str(exc))
            return
        if tender == Tender.CASH and (given is None or given < amount):
            error.update(self.app.t("tender.cash_short_error"))
            return
        error.update("")
        self.post_message(self.Chosen(tender, amount, given))
