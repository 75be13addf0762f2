"""counterpay receipt codes: signed by the agent that took the payment, verified offline.

The cashier's receipt carries this QR; back at the desk the clerk scans it and the
agent checks the signature against the cached key directory: the key must be a
receipt key of the very agent named in the code, and not revoked.  At most the last
four card digits are ever in it.  The carrier is digits only (see `signed.py`).

>>> from protocol.keys import KeyDirectory, SigningKey
>>> key = SigningKey.generate(); keys = KeyDirectory(); keys.add(key.public_entry("krakow-3", ["receipt"]))
>>> code = ReceiptCode("R-20261122-0001", "krakow-3", "2026-11-22T10:15:00Z", 12500, "PLN", "card",
...                    "T0042", "WAW/2026/77", "1234")
>>> parse(make(code, key), keys).fields["verdict"]
'valid'

Only the text `make()` writes is a receipt; the time written with one digit too few is refused:

>>> fields = ["R-1", "krakow-3", "2026112210150", "12500", "PLN", "card", "", "WAW/2026/77", "", key.kid]
>>> print(*parse(signed.encode(FORMAT, fields, key), keys).errors)   # doctest: +NORMALIZE_WHITESPACE
not the canonical form of a cp-receipt code:
the time field reads '2026112210150', its canonical form is '20261122101500'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from protocol.domain import Tender
from protocol.keys import KeyDirectory, SigningKey, VerificationFailure
from protocol.qr import signed
from protocol.qr.base import QrFormatError, QrResult

FORMAT = "cp-receipt"
FIELD_COUNT = 10
FIELD_NAMES = ("receipt id", "agent id", "time", "amount", "currency", "tender", "terminal reference",
               "reference", "card digits", "key id")
TENDERS = tuple(Tender)


@dataclass(frozen=True)
class ReceiptCode:
    receipt_id: str
    agent_id: str
    time: str                 # RFC 3339 UTC, seconds precision
    amount_minor: int
    currency: str
    tender: str               # a Tender: card | cash
    terminal_ref: str         # terminal receipt/trace number, empty for cash
    reference: str            # order id or case reference the payment is for
    last4: str = ""           # at most the last 4 card digits
    kid: str = ""


def detect(payload: str) -> bool:
    return signed.format_of(payload.strip()) == FORMAT


def make(receipt: ReceiptCode, key: SigningKey) -> str:
    """The QR payload for a receipt, signed with the agent's receipt key."""
    return signed.make_payload(FORMAT, _fields(receipt, key.kid), key)


def _fields(receipt: ReceiptCode, kid: str) -> list[str]:
    """The receipt's fields as `make()` writes them: the one text `parse()` accepts for each."""
    if receipt.tender not in TENDERS:
        raise QrFormatError(f"tender must be one of {', '.join(TENDERS)}")
    if receipt.amount_minor < 0:
        raise QrFormatError("amount must not be negative")
    if len(receipt.last4) > 4 or (receipt.last4 and not receipt.last4.isdigit()):
        raise QrFormatError("only the last 4 card digits may be on a receipt")
    try:
        when = dt.datetime.fromisoformat(receipt.time.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        raise QrFormatError(f"time {receipt.time!r} is not RFC 3339") from None
    return [receipt.receipt_id, receipt.agent_id, when.strftime("%Y%m%d%H%M%S"), str(receipt.amount_minor),
            receipt.currency.upper(), receipt.tender, receipt.terminal_ref, receipt.reference, receipt.last4, kid]


def parse(payload: str, keys: KeyDirectory | None = None, now: dt.datetime | None = None) -> QrResult:
    """Decode and, with a key directory, verify; never raises for bad input."""
    decoded = signed.read(FORMAT, payload, FIELD_COUNT)
    if isinstance(decoded, QrResult):
        return decoded
    (receipt_id, agent_id, time, amount, currency, tender, terminal_ref, reference, last4, kid) = decoded.fields
    errors: list[str] = []
    whole = amount.isascii() and amount.isdigit()
    fields = {"receipt_id": receipt_id, "agent_id": agent_id, "time": None,
              "amount_minor": int(amount) if whole else None, "currency": currency,
              "tender": tender, "terminal_ref": terminal_ref, "reference": reference, "last4": last4, "kid": kid}
    try:
        fields["time"] = dt.datetime.strptime(time, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        errors.append(f"time {time!r} is not a timestamp")
    if not whole:
        errors.append(f"amount {amount!r} is not a whole number of minor units")
    if tender not in TENDERS:
        errors.append(f"tender {tender!r} is unknown")
    if len(last4) > 4 or (last4 and not last4.isdigit()):
        errors.append("the card digits field holds more than the last 4 digits")
    if not errors:
        why = _non_canonical(decoded.fields, fields)
        if why:
            errors.append(why)
    structure_ok = not errors
    checks_ok: bool | None = None
    verdict = "signature not checked"
    if keys is None:
        errors.append("signature not checked: no key directory was given, so this receipt is not verified")
    else:
        try:
            signed.check_signature(decoded, keys, kid, use="receipt", owner=agent_id)
            checks_ok, verdict = True, "valid"
        except VerificationFailure as failure:
            errors.append(str(failure))
            checks_ok, verdict = False, signed.verdict_of(failure)
    fields["verdict"] = verdict if structure_ok else "structure wrong"
    return QrResult(FORMAT, structure_ok, checks_ok, errors, fields)


def _non_canonical(found: list[str], fields: dict) -> str | None:
    receipt = ReceiptCode(fields["receipt_id"], fields["agent_id"], fields["time"], fields["amount_minor"],
                          fields["currency"], fields["tender"], fields["terminal_ref"], fields["reference"],
                          fields["last4"])
    try:
        canonical = _fields(receipt, fields["kid"])
    except QrFormatError as exc:
        return str(exc)
    return signed.non_canonical(FORMAT, found, canonical, FIELD_NAMES)


def validate(payload: str, keys: KeyDirectory | None = None, now: dt.datetime | None = None) -> QrResult:
    return parse(payload, keys, now).raise_unless_valid()


def is_valid(payload: str, keys: KeyDirectory | None = None, now: dt.datetime | None = None) -> bool:
    return parse(payload, keys, now).valid
