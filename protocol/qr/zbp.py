"""Polish bank transfer QR codes (Rekomendacja ZBP "Standard 2D", 2013).

Nine fields separated by '|', UTF-8:

    NIP | country | account | amount | name | title | reserved1 | reserved2 | reserved3

NIP: the beneficiary's 10-digit tax number (may be empty); country: 2 letters (PL);
account: the 26-digit NRB; amount: grosze, 6 digits in the recommendation, but
amounts above 9 999,99 zł are printed with more digits in the wild, so any number of
digits is accepted when parsing; name: at most 20 characters; title: at most 32; the
three reserved fields (payment identifiers, e.g. Invoobill) at most 20 each.  At most
160 characters in all.  The NIP and account check digits are the checks verdict.

    >>> r = parse('5261040828|PL|61109010140000071219812874|012345|Urząd Miasta|Opłata 123/2024|||')
    >>> (r.valid, r.fields['amount_minor'], r.fields['name'])
    (True, 12345, 'Urząd Miasta')
"""

from __future__ import annotations

from typing import Any

from stdnum import iban as stdnum_iban
from stdnum.pl import nip as stdnum_nip

from protocol.qr.base import QrFormatError, QrResult, too_long, verdict
from protocol.qr.checks import iban_ok, nip_ok

FORMAT = "zbp"
FIELDS = ("nip", "country", "account", "amount", "name", "title", "reserved1", "reserved2", "reserved3")
LIMITS = {"name": 20, "title": 32, "reserved1": 20, "reserved2": 20, "reserved3": 20}
AMOUNT_DIGITS = 6
MAX_CHARS = 160


def detect(payload: str) -> bool:
    return payload.count("|") == 8 and not payload.lstrip()[:7].upper() == "PAGOPA|"


def _empty_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {"amount_minor": None, "currency": "PLN"}
    fields.update({name: None for name in FIELDS if name != "amount"})
    return fields


def parse(payload: str) -> QrResult:
    fields = _empty_fields()
    long = too_long(FORMAT, payload, fields)
    if long:
        return long
    text = payload.rstrip("\r\n")
    parts = text.split("|")
    if len(parts) != 9:
        return verdict(FORMAT, [f"a ZBP code has 9 fields separated by '|', this one has {len(parts)}"],
                       [], fields, checked=False)
    values = dict(zip(FIELDS, parts, strict=True))
    amount = values.pop("amount")
    fields.update({key: value or None for key, value in values.items()})
    problems: list[str] = []
    wrong: list[str] = []
    checked = False
    if len(text) > MAX_CHARS:
        problems.append(f"the code has {len(text)} characters; the recommendation allows {MAX_CHARS}")
    tax = values["nip"]
    if tax:
        if len(tax) == 10 and tax.isdigit() and tax.isascii():
            checked = True
            if not nip_ok(tax):
                wrong.append(f"the NIP {tax} has a wrong check digit")
        else:
            problems.append(f"the NIP must be 10 digits or empty, got {tax!r}")
    country = values["country"]
    country_ok = len(country) == 2 and country.isascii() and country.isalpha() and country.isupper()
    if not country_ok:
        problems.append(f"the country must be a 2-letter code such as PL, got {country!r}")
    account = values["account"]
    if len(account) == 26 and account.isdigit() and account.isascii():
        if country_ok:
            checked = True
            if not iban_ok(country + account):
                wrong.append(f"the account number {account} fails its check digits")
    else:
        problems.append(f"the account must be the 26-digit NRB, got {account!r}")
    if amount.isdigit() and amount.isascii():
        fields["amount_minor"] = int(amount)
    else:
        problems.append(f"the amount must be digits (grosze, {AMOUNT_DIGITS} digits such as 012345), got {amount!r}")
    if not values["name"]:
        problems.append("the beneficiary name (field 5) is missing")
    if not values["title"]:
        problems.append("the payment title (field 6) is missing")
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            problems.append(f"the {key} has {len(values[key])} characters; at most {limit} are allowed")
    return verdict(FORMAT, problems, wrong, fields, checked)


def validate(payload: str) -> QrResult:
    return parse(payload).raise_unless_valid()


def is_valid(payload: str) -> bool:
    return parse(payload).valid


def make(account: str, name: str, title: str, amount_minor: int, *, nip: str = "", country: str = "PL",
         reserved1: str = "", reserved2: str = "", reserved3: str = "") -> str:
    """A ZBP payload.  Amounts above 9 999,99 zł do not fit the recommendation's 6 digits and are refused."""
    if type(amount_minor) is not int or not 0 <= amount_minor < 10 ** AMOUNT_DIGITS:
        raise QrFormatError("a ZBP amount is 0 to 999999 grosze (9 999,99 zł)")
    parts = [stdnum_nip.compact(nip) if nip else "", country, stdnum_iban.compact(account).removeprefix("PL"),
             f"{amount_minor:0{AMOUNT_DIGITS}d}", name, title, reserved1, reserved2, reserved3]
    for part in parts:
        if "|" in part or "\n" in part or "\r" in part:
            raise QrFormatError(f"the field {part!r} must not contain '|' or line breaks")
    payload = "|".join(parts)
    validate(payload)
    return payload
