"""EPC069-12 'BCD' codes: the SEPA credit transfer QR (GiroCode, Latvian/Greek/Italian invoices).

Up to 12 lines separated by LF (CR LF accepted):

    1 BCD   2 version 001|002   3 charset 1-8   4 SCT   5 BIC (needed in 001, optional in 002)
    6 beneficiary name <=70     7 IBAN <=34     8 EUR<amount> (EUR0.01-EUR999999999.99, may be empty)
    9 purpose <=4   10 structured RF reference <=35   11 unstructured text <=140   12 info <=70

The structured reference and the text exclude each other; the whole payload is at
most 331 bytes in its declared character set.  The IBAN (and an RF reference) check
digits are the checks verdict.  The example of the guidelines:

    >>> r = parse('BCD\\n001\\n1\\nSCT\\nBPOTBEB1\\nRed Cross of Belgium\\nBE72000000001616\\nEUR1\\nCHAR\\n\\nUrgency fund\\nSample EPC QR code')
    >>> (r.valid, r.fields['amount_minor'], r.fields['text'])
    (True, 100, 'Urgency fund')
"""

from __future__ import annotations

import re
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum import iso11649

from protocol.qr.base import QrFormatError, QrResult, too_long, verdict
from protocol.qr.checks import bic_ok, iban_ok, rf_ok

FORMAT = "epc"
SERVICE_TAG = "BCD"
VERSIONS = ("001", "002")
IDENTIFICATION = "SCT"
# Character set numbers of EPC069-12 mapped to Python codecs.
CHARSETS = {1: "utf-8", 2: "iso8859-1", 3: "iso8859-2", 4: "iso8859-4",
            5: "iso8859-5", 6: "iso8859-7", 7: "iso8859-10", 8: "iso8859-15"}
MAX_BYTES = 331
MAX_LINES = 12
LIMITS = {"name": 70, "iban": 34, "purpose": 4, "reference": 35, "text": 140, "info": 70}
MIN_AMOUNT, MAX_AMOUNT = 1, 99999999999  # EUR0.01 .. EUR999999999.99 in cents
_AMOUNT = re.compile(r"^EUR(\d{1,9})(?:\.(\d{1,2}))?$")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{1,30}$")
_RF_SHAPE = re.compile(r"^RF\d{2}[0-9A-Z]{1,21}$")
_PURPOSE = re.compile(r"^[A-Za-z0-9]{1,4}$")


def detect(payload: str) -> bool:
    return payload[:4] in ("BCD\n", "BCD\r")


def _empty_fields() -> dict[str, Any]:
    return {"amount_minor": None, "currency": "EUR", "version": None, "charset": None, "bic": None,
            "name": None, "iban": None, "purpose": None, "reference": None, "text": None, "info": None}


def codec(payload_or_bytes: str | bytes) -> str:
    """The Python codec named by line 3 of a payload (UTF-8 when absent or unknown)."""
    head = payload_or_bytes[:16]
    if isinstance(head, bytes):
        head = head.decode("ascii", "replace")
    lines = head.replace("\r", "").split("\n")
    if len(lines) > 2 and lines[2].isascii() and lines[2].isdigit() and int(lines[2]) in CHARSETS:
        return CHARSETS[int(lines[2])]
    return "utf-8"


def encode(payload: str) -> bytes:
    """The payload's bytes in its declared character set (what goes into the QR)."""
    try:
        return payload.encode(codec(payload))
    except UnicodeEncodeError as exc:
        raise QrFormatError(f"character {exc.object[exc.start:exc.end]!r} cannot be written in "
                            f"the declared character set {codec(payload)}") from None


def decode(data: bytes) -> str:
    """Text of EPC bytes read from a QR, decoded by their own charset line."""
    return data.decode(codec(data), "replace")


def parse(payload: str) -> QrResult:
    fields = _empty_fields()
    long = too_long(FORMAT, payload, fields)
    if long:
        return long
    lines = payload.replace("\r\n", "\n").split("\n")
    while len(lines) > 7 and lines[-1] == "":  # a trailing separator is common and harmless
        lines.pop()
    problems: list[str] = []
    if lines[0] != SERVICE_TAG:
        return verdict(FORMAT, ["an EPC code starts with the line 'BCD'"], [], fields, checked=False)
    if len(lines) < 7:
        return verdict(FORMAT, [f"an EPC code has at least 7 lines (up to the IBAN), this one has {len(lines)}"],
                       [], fields, checked=False)
    if len(lines) > MAX_LINES:
        problems.append(f"an EPC code has at most {MAX_LINES} lines, this one has {len(lines)}")
    lines += [""] * (MAX_LINES - len(lines))
    version, charset, ident, bic, name, iban, amount, purpose, reference, text, info = lines[1:12]
    fields.update(version=version, bic=bic or None, name=name, iban=iban or None, purpose=purpose or None,
                  reference=reference or None, text=text or None, info=info or None)
    if version not in VERSIONS:
        problems.append(f"EPC version {version!r} is unknown; use 001 or 002")
    if charset.isdigit() and charset.isascii() and int(charset) in CHARSETS:
        fields["charset"] = int(charset)
    else:
        problems.append(f"the character set must be 1-8, got {charset!r}")
    if ident != IDENTIFICATION:
        problems.append(f"the identification must be {IDENTIFICATION}, got {ident!r}")
    if bic:
        if not bic_ok(bic) or bic != bic.upper().strip():
            problems.append(f"the BIC {bic!r} is not 8 or 11 letters and digits in the BIC layout")
    elif version == "001":
        problems.append("version 001 needs the BIC of the beneficiary's bank (line 5)")
    if not name:
        problems.append("the beneficiary name (line 6) is missing")
    for key, value in (("name", name), ("iban", iban), ("purpose", purpose), ("reference", reference),
                       ("text", text), ("info", info)):
        if len(value) > LIMITS[key]:
            problems.append(f"the {key} has {len(value)} characters; at most {LIMITS[key]} are allowed")
    if purpose and not _PURPOSE.match(purpose):
        problems.append(f"the purpose code {purpose!r} must be up to 4 letters or digits")
    if reference and text:
        problems.append("a structured reference (line 10) and an unstructured text (line 11) exclude each other")
    _amount(amount, fields, problems)
    _byte_length(payload, fields.get("charset"), problems)
    # The checks verdict: IBAN check digits, and RF reference check digits when given.
    wrong: list[str] = []
    checked = False
    if _IBAN_SHAPE.match(iban):
        checked = True
        if not iban_ok(iban):
            wrong.append(f"the IBAN {iban} fails its check digits or its country's format")
    else:
        problems.append(f"the IBAN (line 7) must be a country code, 2 check digits and the account, "
                        f"without spaces; got {iban!r}")
    if reference:
        checked = True
        if not (_RF_SHAPE.match(reference) and rf_ok(reference)):
            wrong.append(f"the structured reference {reference!r} is not a valid ISO 11649 RF reference")
    return verdict(FORMAT, problems, wrong, fields, checked)


def _amount(amount: str, fields: dict[str, Any], problems: list[str]) -> None:
    if not amount:
        return
    match = _AMOUNT.match(amount)
    if not match:
        problems.append(f"the amount must look like EUR12.34 (EUR, up to 9 digits, '.', up to 2 decimals); "
                        f"got {amount!r}")
        return
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if not MIN_AMOUNT <= cents <= MAX_AMOUNT:
        problems.append("the amount must be between EUR0.01 and EUR999999999.99")
    fields["amount_minor"] = cents


def _byte_length(payload: str, charset: int | None, problems: list[str]) -> None:
    name = CHARSETS.get(charset or 1)
    try:
        size = len(payload.encode(name))
    except UnicodeEncodeError as exc:
        problems.append(f"character {exc.object[exc.start:exc.end]!r} cannot be written in the declared "
                        f"character set {charset} ({name})")
        return
    if size > MAX_BYTES:
        problems.append(f"the code has {size} bytes; EPC allows at most {MAX_BYTES}")


def validate(payload: str) -> QrResult:
    return parse(payload).raise_unless_valid()


def is_valid(payload: str) -> bool:
    return parse(payload).valid


def make(name: str, iban: str, amount_minor: int | None = None, *, bic: str = "", purpose: str = "",
         reference: str = "", text: str = "", info: str = "", version: str = "002",
         charset: int = 1) -> str:
    """An EPC payload (as text; put `encode(payload)` into the QR).  Refuses invalid codes."""
    if amount_minor is None:
        amount = ""
    elif type(amount_minor) is int:
        amount = f"EUR{amount_minor // 100}.{amount_minor % 100:02d}" if amount_minor >= 0 else "EUR-"
    else:
        raise QrFormatError("the amount must be an integer number of euro cents or None")
    iban = stdnum_iban.compact(iban)
    reference = iso11649.compact(reference) if reference else ""
    for key, value in (("name", name), ("bic", bic), ("purpose", purpose), ("reference", reference),
                       ("text", text), ("info", info)):
        if "\n" in value or "\r" in value:
            raise QrFormatError(f"the {key} must be one line")
    lines = [SERVICE_TAG, version, str(charset), IDENTIFICATION, bic.strip(), name, iban, amount, purpose,
             reference, text, info]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    validate(payload)
    return payload
