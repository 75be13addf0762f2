"""The numeric carrier of counterpay's own signed codes (payment orders and receipts).

Why digits only: a USB scanner in keyboard mode types what the host's layout makes of
its key codes.  Polish, Italian and Greek layouts mistype `|` and diacritics, QWERTZ
swaps Y and Z, a Greek layout in Greek mode turns every Latin letter into a Greek one;
the digits 0-9 come through on all of them.  QR numeric mode is also the densest mode:
513 digits fit version 10 at error correction M, about 213 bytes.

Layout of a payload:
    "8" <type digit> <version digit> <decimal digits of int.from_bytes(0x01 ‖ content ‖ signature)>
where content is the UTF-8 fields joined by U+001F, and the signature is Ed25519 over
`DOMAIN[type] ‖ 0x1E ‖ content`, so an order's signature can never pass as a receipt's.
The leading 0x01 byte keeps leading zero bytes through the integer conversion.

One code, one text: decoding refuses any payload that is not exactly what encoding its
decoded content and signature gives (a leading zero before the digits, say, reads as the
same integer and would otherwise verify), so a code can be recognised by its text alone.
The format modules hold their fields to the same rule.

    >>> key = SigningKey.generate()
    >>> code = encode("cp-order", ["O-1", "12500"], key)
    >>> decode("cp-order", code, 2).fields
    ['O-1', '12500']
    >>> try:
    ...     decode("cp-order", code[:3] + "0" + code[3:], 2)
    ... except SignedCodeError as exc:
    ...     print(exc)   # doctest: +NORMALIZE_WHITESPACE
    not the canonical form of a cp-order code:
    its digits after the 3-digit prefix must not start with 0
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.keys import KeyDirectory, SigningKey, VerificationFailure
from protocol.qr.base import QrFormatError, QrResult

MAX_DIGITS = 513          # QR version 10, error correction M, numeric mode (ISO/IEC 18004 table 7)
SIGNATURE_BYTES = 64
SEPARATOR = "\x1f"
TYPE_DIGITS = {"cp-order": "1", "cp-receipt": "2"}
DOMAINS = {"cp-order": b"counterpay/order/1", "cp-receipt": b"counterpay/receipt/1"}
VERSION_DIGIT = "1"


class SignedCodeError(ValueError):
    """A signed code could not be decoded or made; the message says why."""


def prefix(format_name: str) -> str:
    return "8" + TYPE_DIGITS[format_name] + VERSION_DIGIT


MIN_DIGITS = 150
"""A signature alone is 64 bytes, about 154 digits: anything shorter is not ours."""


def format_of(payload: str) -> str | None:
    """Which of our formats a payload claims to be, from its 3-digit prefix.

    A ZBP code may start with a NIP beginning 81 or 82, so a claim also needs the
    length of a signature and no '|' (every other format here has separators)."""
    if len(payload) < MIN_DIGITS or not payload[:3].isdigit() or payload[0] != "8" or "|" in payload:
        return None
    for name, digit in TYPE_DIGITS.items():
        if payload[1] == digit:
            return name
    return None


def carrier(format_name: str, content: bytes, signature: bytes) -> str:
    """The one text of a code: prefix and the decimal digits of 0x01 ‖ content ‖ signature."""
    return prefix(format_name) + str(int.from_bytes(b"\x01" + content + signature, "big"))


def encode(format_name: str, fields: list[str], key: SigningKey) -> str:
    for value in fields:
        if SEPARATOR in value or "\x1e" in value:
            raise SignedCodeError("a field contains a control separator character")
    content = SEPARATOR.join(fields).encode("utf-8")
    signature = key.sign(DOMAINS[format_name] + b"\x1e" + content)
    payload = carrier(format_name, content, signature)
    if len(payload) > MAX_DIGITS:
        spare = (len(payload) - MAX_DIGITS) * 5 // 12 + 1
        raise SignedCodeError(f"the code would need {len(payload)} digits, more than the {MAX_DIGITS} that fit "
                              f"a QR version 10 at level M: shorten the text fields by about {spare} bytes")
    return payload


@dataclass
class Decoded:
    format: str
    fields: list[str]
    content: bytes
    signature: bytes


def decode(format_name: str, payload: str, field_count: int) -> Decoded:
    if format_of(payload) != format_name:
        raise SignedCodeError(f"not a {format_name} code (wrong prefix)")
    if payload[2] != VERSION_DIGIT:
        raise SignedCodeError(f"{format_name} version {payload[2]} is not supported (expected {VERSION_DIGIT})")
    digits = payload[3:]
    if not digits.isdigit() or not digits.isascii():
        raise SignedCodeError("a counterpay code holds digits only; this one has other characters "
                              "(was it typed by a scanner in keyboard mode?)")
    if len(payload) > MAX_DIGITS:
        raise SignedCodeError(f"code has {len(payload)} digits; at most {MAX_DIGITS} are valid")
    value = int(digits)
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if not raw or raw[0] != 0x01 or len(raw) < 1 + SIGNATURE_BYTES:
        raise SignedCodeError("code is truncated or corrupted")
    content, signature = raw[1:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    if carrier(format_name, content, signature) != payload:
        # int() reads "0012" as 12: without this, one signed code would have endless texts.
        raise SignedCodeError(f"not the canonical form of a {format_name} code: its digits after the "
                              "3-digit prefix must not start with 0")
    try:
        fields = content.decode("utf-8").split(SEPARATOR)
    except UnicodeDecodeError:
        raise SignedCodeError("code content is corrupted (not UTF-8)") from None
    if len(fields) != field_count:
        raise SignedCodeError(f"{format_name} must have {field_count} fields, this one has {len(fields)}")
    return Decoded(format_name, fields, content, signature)


def non_canonical(format_name: str, fields: list[str], canonical: list[str], names: tuple[str, ...]) -> str | None:
    """Why decoded fields are not the canonical form encoding would give, or None when they are.

    A format module rebuilds its fields from the values it parsed and hands both lists here;
    `amount 012500` and `12500` mean the same, so only the one `make()` writes is accepted."""
    if len(fields) != len(canonical):
        return (f"not the canonical form of a {format_name} code: it has {len(fields)} fields, "
                f"the canonical form {len(canonical)}")
    for index, (found, expected) in enumerate(zip(fields, canonical, strict=True)):
        if found != expected:
            name = names[index] if index < len(names) else f"field {index + 1}"
            return (f"not the canonical form of a {format_name} code: the {name} field reads {found!r}, "
                    f"its canonical form is {expected!r}")
    return None


def check_signature(decoded: Decoded, keys: KeyDirectory, kid: str, *, use: str, owner: str | None) -> None:
    """Raise VerificationFailure unless the code's signature is good."""
    keys.verify(kid, decoded.signature, DOMAINS[decoded.format] + b"\x1e" + decoded.content, use=use, owner=owner)


VERDICTS = {
    "forged": "bad signature",
    "unknown_key": "unknown key",
    "revoked": "revoked key",
    "wrong_use": "wrong type of key",
    "wrong_owner": "signed by someone else",
}


def verdict_of(failure: VerificationFailure) -> str:
    return VERDICTS.get(failure.reason, failure.reason)


def make_payload(format_name: str, fields: list[str], key: SigningKey) -> str:
    """`encode` for a format module's make(): refusals become the QR formats' one error."""
    try:
        return encode(format_name, fields, key)
    except SignedCodeError as exc:
        raise QrFormatError(str(exc)) from None


def read(format_name: str, payload: str, field_count: int) -> Decoded | QrResult:
    """`decode` for a format module's parse(): a payload that cannot be decoded gives the
    'structure wrong' result to return as it is."""
    try:
        return decode(format_name, payload.strip(), field_count)
    except SignedCodeError as exc:
        return QrResult(format_name, False, None, [str(exc)],
                        {"amount_minor": None, "currency": None, "verdict": "structure wrong"})
