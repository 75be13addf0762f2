"""pagoPA payment notice QR codes (Italy): `PAGOPA|002|<notice>|<creditor fiscal code>|<amount>`.

The notice number has 18 digits (see `protocol.ids.pagopa`), the creditor's fiscal
code 11 digits, the amount euro cents.  The specification prints amounts without
leading zeros; codes in the wild carry 1 to 12 digits, so all of those are accepted.
Structure and check digits are separate verdicts: published samples exist whose
mod-93 check fails (`PAGOPA|002|399000012345678900|83000390019|222250` has 00 where
the check gives 90), and the cashier must see that it is the check that failed.

    >>> r = parse('PAGOPA|002|001340000013900808|00311260095|5000')
    >>> (r.valid, r.fields['amount_minor'], r.fields['iuv'])
    (True, 5000, '340000013900808')
    >>> make('001340000013900808', '00311260095', 5000)
    'PAGOPA|002|001340000013900808|00311260095|5000'
"""

from __future__ import annotations

from typing import Any

from stdnum.exceptions import InvalidChecksum

from protocol.ids import pagopa as notice
from protocol.qr.base import QrFormatError, QrResult, too_long, verdict
from protocol.qr.checks import italian_vat_error

FORMAT = "pagopa"
TAG = "PAGOPA"
VERSION = "002"
MAX_AMOUNT_DIGITS = 12


def detect(payload: str) -> bool:
    return payload[:12].lstrip()[:7].upper() == "PAGOPA|"


def _empty_fields() -> dict[str, Any]:
    return {"amount_minor": None, "currency": "EUR", "notice_number": None,
            "creditor_fiscal_code": None, "aux_digit": None, "iuv": None}


def parse(payload: str) -> QrResult:
    fields = _empty_fields()
    long = too_long(FORMAT, payload, fields)
    if long:
        return long
    parts = payload.strip().split("|")
    if len(parts) != 5:
        return verdict(FORMAT, [f"a pagoPA code has 5 fields separated by '|' "
                                f"(PAGOPA|002|notice number|creditor fiscal code|amount), this one has {len(parts)}"],
                       [], fields, checked=False)
    tag, version, number, fiscal, amount = parts
    problems: list[str] = []
    wrong_checks: list[str] = []
    checked = False
    if tag != TAG:
        problems.append(f"the code must start with {TAG!r}, not {tag!r}")
    if version != VERSION:
        problems.append(f"pagoPA code version {version!r} is unknown; only {VERSION} exists")
    notice_problems = notice.structure_errors(number)
    problems += notice_problems
    if not notice_problems:
        fields.update(notice_number=number, aux_digit=int(number[0]), iuv=notice.iuv(number))
        if notice.has_check_digits(number):
            checked = True
            wrong_checks += notice.check_errors(number)
    if len(fiscal) == 11 and fiscal.isdigit() and fiscal.isascii():
        fields["creditor_fiscal_code"] = fiscal
        checked = True
        error = italian_vat_error(fiscal)
        if isinstance(error, InvalidChecksum):
            wrong_checks.append(f"the creditor fiscal code {fiscal} has a wrong check digit")
        elif error is not None:  # a check of the number too: its shape (11 digits) is right
            wrong_checks.append(f"the creditor fiscal code {fiscal} is not a valid partita IVA: {error}")
    else:
        problems.append(f"the creditor fiscal code must be 11 digits, got {fiscal!r}")
    if 1 <= len(amount) <= MAX_AMOUNT_DIGITS and amount.isdigit() and amount.isascii():
        fields["amount_minor"] = int(amount)
    else:
        problems.append(f"the amount must be 1-{MAX_AMOUNT_DIGITS} digits of euro cents, got {amount!r}")
    return verdict(FORMAT, problems, wrong_checks, fields, checked)


def validate(payload: str) -> QrResult:
    return parse(payload).raise_unless_valid()


def is_valid(payload: str) -> bool:
    return parse(payload).valid


def make(notice_number: str, creditor_fiscal_code: str, amount_minor: int) -> str:
    """A pagoPA payload; refuses parts that would make an invalid code."""
    if type(amount_minor) is not int or amount_minor < 0:
        raise QrFormatError("the amount must be a non-negative integer number of euro cents")
    payload = f"{TAG}|{VERSION}|{notice.compact(notice_number)}|{creditor_fiscal_code.strip()}|{amount_minor}"
    validate(payload)
    return payload
