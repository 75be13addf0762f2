"""The agent core as the UI sees it: `CounterService`, every call and attribute a screen may use.

`agent.service.AgentService` provides it, and so does the UI's test double; a test
checks that both have every member, so neither can drift from what the screens call.
Blocking calls (all but `subscribe` and `status`) run in Textual workers (thread=True);
`subscribe` callbacks come from a thread of the core and reach the app with
`post_message`.
"""

from __future__ import annotations

from typing import Callable, Protocol

from agent.ui.facade import (AgentStatus, CaseLookup, CataloguePosition, CodeVerdict, DeskLoginOutcome,
                             EodComparison, PaymentOutcome, PaymentRequest, UndoRequest)


class CounterService(Protocol):
    login_required: bool
    """Must an operator log in before the mode's screen (agent.config `[desk] login`)?"""

    # status -----------------------------------------------------------------------
    def subscribe(self, callback: Callable[[AgentStatus], None]) -> None: ...

    def status(self) -> AgentStatus: ...

    # the operator --------------------------------------------------------------------
    def login(self, username: str, secret: str) -> DeskLoginOutcome: ...

    def logout(self) -> None: ...

    # catalogue, cases, codes, payers -------------------------------------------------
    def catalogue(self) -> list[CataloguePosition]: ...

    def lookup_case(self, case_ref: str) -> CaseLookup | None: ...

    def check_code(self, payload: str) -> CodeVerdict: ...

    def verify_receipt(self, payload: str) -> CodeVerdict: ...

    def search_payers(self, text: str) -> list[dict]:
        """Payers seen at this desk whose name, id or fiscal code matches: dicts (name, id, last_seen, …)."""
        ...

    def card_refusal(self, codes: list[str], order_id: str | None = None) -> dict | None:
        """Why the card tender is not offered for these positions or this scanned order, or None."""
        ...

    # payments ------------------------------------------------------------------------
    def pay(self, request: PaymentRequest, on_progress: Callable[[str], None] = ...) -> PaymentOutcome: ...

    def resolve_operator_check(self, payment_id: str, charged: bool, operator: str) -> PaymentOutcome: ...

    def undo(self, request: UndoRequest) -> PaymentOutcome:
        """A void or refund, approved by the supervisor's login it carries."""
        ...

    def open_payments(self) -> list[dict]:
        """Intents not settled, as dicts (payment_id, state, amount_minor, currency, operator_hint, …)."""
        ...

    def reprint(self, receipt_id: str) -> list[str]: ...

    # the day, the terminal, the technician --------------------------------------------
    def totals_today(self) -> dict[str, tuple[int, int]]: ...

    def end_of_day(self) -> EodComparison: ...

    def check_terminal(self) -> dict: ...

    def diagnostics(self) -> dict: ...
