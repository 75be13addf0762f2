"""Any scanned payload → one plain verdict for the cashier (`CodeVerdict`).

Our signed order and receipt codes are verified offline against the cached key
directory; pagoPA, EPC, ZBP and RF codes are parsed and their references kept for
linking.  The verdict is one of: valid, check digits wrong, structure wrong, expired,
bad signature, unknown key, revoked, unknown code, not an order; and, from the hub's
order state (agent/order_checks.py, applied by the service), cancelled or changed.

`check_order()` is the check of a code someone is about to pay (cashier, kiosk, scripted
desk): a receipt is proof of a payment already made, so it is "not an order" there, and
is verified as a receipt with `check()` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol import qr
from protocol.domain import ReferenceFormat
from protocol.keys import KeyDirectory

VERDICTS = ("valid", "check digits wrong", "structure wrong", "expired", "bad signature", "unknown key",
            "revoked", "unknown code", "not an order", "cancelled", "changed")
RECEIPT_FORMATS = ("cp-receipt",)
_SIGNED_VERDICTS = {"valid": "valid", "expired": "expired", "bad signature": "bad signature",
                    "unknown key": "unknown key", "revoked key": "revoked", "revoked": "revoked",
                    "wrong type of key": "bad signature", "signed by someone else": "bad signature",
                    "structure wrong": "structure wrong", "signature not checked": "unknown key"}


@dataclass
class CodeVerdict:
    format: str
    valid: bool
    verdict: str
    errors: list[str] = field(default_factory=list)
    amount_minor: int | None = None
    currency: str | None = None
    reference: dict = field(default_factory=lambda: {"format": ReferenceFormat.NONE, "value": None})
    order_id: str | None = None
    case_ref: str | None = None
    payer_name: str | None = None
    payer_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # Set when the hub's order state refuses the order (agent/order_checks.py): order, date, reason, amount.
    order_state: dict[str, Any] | None = None

    @property
    def is_receipt(self) -> bool:
        """A receipt code: proof of a payment already made, never something to charge."""
        return self.format in RECEIPT_FORMATS


def _reference(fmt: str, fields: dict) -> dict:
    value = {"pagopa": fields.get("notice_number"), "rf": fields.get("reference"),
             "epc": fields.get("reference") or fields.get("text"), "zbp": fields.get("title"),
             "cp-order": fields.get("order_id"), "cp-receipt": fields.get("receipt_id")}.get(fmt)
    wire_format = fmt if fmt in tuple(ReferenceFormat) else ReferenceFormat.NONE
    return {"format": wire_format, "value": value}


def check(payload: Any, keys: KeyDirectory | None) -> CodeVerdict:
    result = qr.parse(payload, keys=keys)
    fields = dict(result.fields)
    if result.format == "unknown":
        verdict = "unknown code"
    elif "verdict" in fields:
        verdict = _SIGNED_VERDICTS.get(fields["verdict"], "bad signature")
    elif not result.structure_ok:
        verdict = "structure wrong"
    elif result.checks_ok is False:
        verdict = "check digits wrong"
    else:
        verdict = "valid"
    errors = list(result.errors)
    if verdict == "unknown key" and keys is None:
        errors.append("no key directory is cached yet: connect to the hub once to receive it")
    return CodeVerdict(
        format=result.format, valid=verdict == "valid", verdict=verdict, errors=errors,
        amount_minor=fields.get("amount_minor"), currency=fields.get("currency"),
        reference=_reference(result.format, fields), order_id=fields.get("order_id"),
        case_ref=fields.get("case_ref"), payer_name=fields.get("payer_name"),
        payer_id=fields.get("payer_id"), fields=fields)


def check_order(payload: Any, keys: KeyDirectory | None) -> CodeVerdict:
    """The verdict on a code handed over to be paid: a receipt, however genuine, is not an order."""
    verdict = check(payload, keys)
    if verdict.is_receipt:
        verdict.valid, verdict.verdict = False, "not an order"
        verdict.errors.insert(0, "this is a receipt of a payment already made, not a payment order: it cannot "
                                 "be charged; verify it as a receipt instead")
    return verdict


def is_receipt_code(text: Any) -> bool:
    """True when text (a reference, an order id) is itself one of our receipt codes."""
    return isinstance(text, str) and qr.detect_format(text) in RECEIPT_FORMATS
