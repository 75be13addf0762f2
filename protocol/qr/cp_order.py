"""counterpay payment order codes: signed by the hub, verified offline at a cash point.

A clerk prints a payment order; the cashier at a cash point with no link to the case
systems scans its QR, and the agent verifies the hub's Ed25519 signature against its
cached key directory before charging.  The carrier is digits only (see `signed.py`).

>>> from protocol.keys import KeyDirectory, SigningKey
>>> key = SigningKey.generate(); keys = KeyDirectory(); keys.add(key.public_entry("hub", ["order"]))
>>> order = PaymentOrderCode("O-1", "WAW/2026/77", 12500, "PLN", ("REG-01",), "Jan Kowalski",
...                          "85010112345", "2099-12-31", key.kid)
>>> result = parse(make(order, key), keys)
>>> result.valid, result.fields["verdict"], result.fields["amount_minor"]
(True, 'valid', 12500)

Only the text `make()` writes is an order: the same fields with the amount written
"012500" are signed content all the same, and still refused.

>>> from protocol.qr import signed
>>> fields = ["O-1", "WAW/2026/77", "012500", "PLN", "REG-01", "Jan Kowalski", "85010112345", "20991231", key.kid]
>>> result = parse(signed.encode(FORMAT, fields, key), keys)
>>> result.valid
False
>>> print(*result.errors)   # doctest: +NORMALIZE_WHITESPACE
not the canonical form of a cp-order code:
the amount field reads '012500', its canonical form is '12500'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from protocol.keys import KeyDirectory, SigningKey, VerificationFailure
from protocol.qr import signed
from protocol.qr.base import QrFormatError, QrResult

FORMAT = "cp-order"
FIELD_COUNT = 9
FIELD_NAMES = ("order id", "case reference", "amount", "currency", "positions", "payer name", "payer id",
               "expiry", "key id")


@dataclass(frozen=True)
class PaymentOrderCode:
    order_id: str
    case_ref: str
    amount_minor: int | None      # None: an open amount, the cashier enters it
    currency: str
    positions: tuple[str, ...]    # fee catalogue position codes
    payer_name: str
    payer_id: str
    expires: str                  # YYYY-MM-DD, valid through the end of that day (UTC)
    kid: str = ""


def detect(payload: str) -> bool:
    return signed.format_of(payload.strip()) == FORMAT


def make(order: PaymentOrderCode, key: SigningKey) -> str:
    """The QR payload for an order, signed with the hub's order key."""
    return signed.make_payload(FORMAT, _fields(order, key.kid), key)


def _fields(order: PaymentOrderCode, kid: str) -> list[str]:
    """The order's fields as `make()` writes them: the one text `parse()` accepts for each."""
    if order.amount_minor is not None and order.amount_minor < 0:
        raise QrFormatError("amount must not be negative")
    if len(order.currency) != 3 or not order.currency.isalpha():
        raise QrFormatError(f"currency {order.currency!r} is not an ISO 4217 code")
    try:
        expires = dt.date.fromisoformat(order.expires)
    except ValueError:
        raise QrFormatError(f"expiry {order.expires!r} is not a date YYYY-MM-DD") from None
    if any("," in code or not code for code in order.positions):
        raise QrFormatError("position codes must not be empty or contain commas")
    return [order.order_id, order.case_ref, "" if order.amount_minor is None else str(order.amount_minor),
            order.currency.upper(), ",".join(order.positions), order.payer_name, order.payer_id,
            expires.strftime("%Y%m%d"), kid]


def parse(payload: str, keys: KeyDirectory | None = None, now: dt.datetime | None = None) -> QrResult:
    """Decode and, with a key directory, verify; never raises for bad input."""
    decoded = signed.read(FORMAT, payload, FIELD_COUNT)
    if isinstance(decoded, QrResult):
        return decoded
    (order_id, case_ref, amount, currency, positions, payer_name, payer_id, expires, kid) = decoded.fields
    errors: list[str] = []
    whole = amount.isascii() and amount.isdigit()
    fields = {"order_id": order_id, "case_ref": case_ref, "amount_minor": int(amount) if whole else None,
              "currency": currency, "positions": [p for p in positions.split(",") if p],
              "payer_name": payer_name, "payer_id": payer_id, "expires": None, "kid": kid}
    structure_ok = True
    if amount and not whole:
        structure_ok = False
        errors.append(f"amount {amount!r} is not a whole number of minor units")
    try:
        expiry = dt.datetime.strptime(expires, "%Y%m%d").date()
        fields["expires"] = expiry.isoformat()
    except ValueError:
        structure_ok, expiry = False, None
        errors.append(f"expiry {expires!r} is not a date")
    if structure_ok:
        why = _non_canonical(decoded.fields, fields)
        if why:
            structure_ok = False
            errors.append(why)
    checks_ok, verdict = _check(decoded, keys, kid, errors)
    if structure_ok and expiry is not None:
        today = (now or dt.datetime.now(dt.timezone.utc)).date()
        if today > expiry:
            errors.append(f"the payment order expired on {expiry.isoformat()}")
            verdict = "expired" if verdict in ("valid", "signature not checked") else verdict
    fields["verdict"] = verdict if structure_ok else "structure wrong"
    return QrResult(FORMAT, structure_ok, checks_ok, errors, fields)


def _non_canonical(found: list[str], fields: dict) -> str | None:
    order = PaymentOrderCode(fields["order_id"], fields["case_ref"], fields["amount_minor"], fields["currency"],
                             tuple(fields["positions"]), fields["payer_name"], fields["payer_id"],
                             fields["expires"])
    try:
        canonical = _fields(order, fields["kid"])
    except QrFormatError as exc:
        return str(exc)
    return signed.non_canonical(FORMAT, found, canonical, FIELD_NAMES)


def _check(decoded: signed.Decoded, keys: KeyDirectory | None, kid: str, errors: list[str]) -> tuple[bool | None, str]:
    if keys is None:
        errors.append("signature not checked: no key directory was given, so this order is not verified")
        return None, "signature not checked"
    try:
        signed.check_signature(decoded, keys, kid, use="order", owner="hub")
    except VerificationFailure as failure:
        errors.append(str(failure))
        return False, signed.verdict_of(failure)
    return True, "valid"


def validate(payload: str, keys: KeyDirectory | None = None, now: dt.datetime | None = None) -> QrResult:
    return parse(payload, keys, now).raise_unless_valid()


def is_valid(payload: str, keys: KeyDirectory | None = None, now: dt.datetime | None = None) -> bool:
    return parse(payload, keys, now).valid
