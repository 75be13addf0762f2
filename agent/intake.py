"""A payment request's free text screened before anything is journaled.

Two things are refused at the desk, before the intent is written, so that nothing of
them reaches the journal, the outbox or the hub:

* a full card number (PCI DSS 3.2-3.4) typed or pasted into any free-text field: the
  payer's name or id, the operator, the case reference, the order id, the reference
  value, a fee position's name or code (`protocol.card_numbers` finds them);
* one of our receipt codes handed over as the thing to pay: a receipt is proof of a
  payment already made, never an order, and charging it again takes the money twice.

The refusal names the field (the UI translates it: `refusal.*`, `field.*` keys) and the
log names the field only, never the number.  What the terminal tells us after the
money moved (auth code, trace number, receipt lines) cannot be refused any more; those
texts are redacted instead (`without_card_numbers`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from protocol import card_numbers
from protocol.ids import iban, pagopa, rf

from agent.codes import is_receipt_code
from agent.terminal.base import TerminalResult

CARD_NUMBER = "card_number"
RECEIPT_AS_ORDER = "receipt_as_order"

# What the terminal hands back as text (TerminalResult): redacted, never refused.
TERMINAL_TEXT = ("auth_code", "trace_no", "receipt_no", "terminal_id", "card_type")


@dataclass(frozen=True)
class Refusal:
    reason: str          # CARD_NUMBER | RECEIPT_AS_ORDER | order_checks.ORDER_CANCELLED
    field: str           # the request's field: payer_name, reference, positions, …
    message: str         # English, for logs and the headless desk; the UI says it from its catalogue
    details: dict | None = dataclasses.field(default=None, compare=False)   # what the catalogue text fills in


def _is_structured_reference(reference: dict) -> bool:
    """True for a reference value that validates as a payment identifier of its own.

    An 18-digit pagoPA notice with aux digit 3 lies in the Diners range and passes Luhn one
    time in ten, an IBAN or RF reference may hold a card-shaped run of digits: refusing those
    would leave a payer with a genuine notice unable to pay.  Their own check digits say
    what they are, so they are not screened.  A bare run of digits is taken for a notice or
    an IUV only when the reference says it is one (format pagopa): a card number that happened
    to pass the mod-93 check, typed as a case reference, is still refused."""
    value = reference.get("value")
    if not isinstance(value, str):
        return False
    if reference.get("format") == "pagopa":
        compact = pagopa.compact(value)
        if pagopa.is_valid(compact):
            return True
        # A bare IUV of 17 digits (aux digit 2 or 3 without it) carries the notice's check digits.
        if len(compact) == 17 and compact.isdigit() and any(pagopa.is_valid(aux + compact) for aux in "23"):
            return True
    # Both begin with letters and carry MOD 97-10 check digits: nothing typed off a card is one.
    return rf.is_valid(value) or iban.is_valid(value)


def _free_text(request: Any) -> list[tuple[str, str]]:
    """(field, text) of every free-text value of a PaymentRequest."""
    found = [(name, getattr(request, name)) for name in ("payer_name", "payer_id", "operator", "case_ref", "order_id")]
    reference = request.reference if isinstance(request.reference, dict) else {}
    if not _is_structured_reference(reference):
        found.append(("reference", reference.get("value")))
    for position in request.positions or []:
        if isinstance(position, dict):
            found += [("positions", position.get(key)) for key in ("code", "name")]
    return [(name, text) for name, text in found if isinstance(text, str) and text]


def screen(request: Any) -> Refusal | None:
    """Why this request must not be journaled, or None when its free text is clean."""
    reference = request.reference if isinstance(request.reference, dict) else {}
    for name, text in (("reference", reference.get("value")), ("order_id", request.order_id),
                       ("case_ref", request.case_ref)):
        if is_receipt_code(text):
            return Refusal(RECEIPT_AS_ORDER, name, "this is a receipt of a payment already made, not a payment "
                           "order: it cannot be charged; verify it as a receipt instead")
    for name, text in _free_text(request):
        if card_numbers.contains(text):
            return Refusal(CARD_NUMBER, name, f"a card number was entered in {name.replace('_', ' ')}: a full "
                           "card number must never be recorded, so nothing was; remove it and take the payment "
                           "again (the terminal reads the card)")
    return None


def without_card_numbers(result: TerminalResult) -> TerminalResult:
    """The terminal's answer with any full card number in its text fields masked to the last 4 digits."""
    changes = {name: card_numbers.redact(getattr(result, name)) for name in TERMINAL_TEXT
               if isinstance(getattr(result, name), str)}
    return dataclasses.replace(result, **changes)
