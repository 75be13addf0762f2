"""pagoPA notice numbers (numero avviso, 18 digits) and IUV codes.

Layout (pagoPA "Specifiche attuative dei codici identificativi di versamento"):

    aux 0: 0 <application code 2n> <IUV base 13n> <check 2n>     IUV = base + check (15)
    aux 1: 1 <IUV 17n>                                           no check digits
    aux 2: 2 <IUV base 15n> <check 2n>                           IUV = base + check (17)
    aux 3: 3 <segregation code 2n> <IUV base 13n> <check 2n>     IUV = seg + base + check (17)

For aux 0, 2 and 3 the last two digits are the remainder of the first 16 digits,
read as one number, divided by 93.  Printed notices in the wild sometimes fail this
check, so `structure_errors()` and `check_errors()` are kept apart.

    >>> validate('0013 4000 0013 9008 08')
    '001340000013900808'
    >>> iuv('001340000013900808')
    '340000013900808'
    >>> generate(3, '0000123456789', segregation_code='99')
    '399000012345678990'
    >>> format('399000012345678990')
    '3990 0001 2345 6789 90'
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.util import clean

LENGTH = 18
AUX_DIGITS = "0123"
CHECKED_AUX = "023"


def compact(number: str) -> str:
    return clean(number, " -.").strip()


def check_digits(first16: str) -> str:
    """The two mod-93 check digits for the first 16 digits of a notice number."""
    return "%02d" % (int(first16) % 93)


def structure_errors(number: str) -> list[str]:
    """What is wrong with the shape of a compact notice number (empty when nothing)."""
    if not number.isdigit() or not number.isascii():
        return [f"the notice number {number!r} must be digits only"]
    if len(number) != LENGTH:
        return [f"the notice number must have {LENGTH} digits, it has {len(number)}"]
    if number[0] not in AUX_DIGITS:
        return [f"the notice number starts with aux digit {number[0]}; only 0, 1, 2 or 3 exist"]
    return []


def check_errors(number: str) -> list[str]:
    """Mod-93 check digit errors of a structurally good notice number."""
    if number[0] not in CHECKED_AUX:
        return []
    expected = check_digits(number[:16])
    if number[16:] != expected:
        return [f"notice number check digits are {number[16:]} but the mod-93 check of the first "
                f"16 digits gives {expected}: the number was misprinted or mistyped"]
    return []


def has_check_digits(number: str) -> bool:
    return number[:1] in CHECKED_AUX


def validate(number: str) -> str:
    number = compact(number)
    errors = structure_errors(number)
    if errors:
        if not number.isdigit():
            raise InvalidFormat(errors[0])
        if len(number) != LENGTH:
            raise InvalidLength(errors[0])
        raise InvalidComponent(errors[0])
    errors = check_errors(number)
    if errors:
        raise InvalidChecksum(errors[0])
    return number


def is_valid(number: str) -> bool:
    try:
        return bool(validate(number))
    except (ValueError, TypeError):
        return False


def format(number: str) -> str:
    """Groups of four, as printed on the notice."""
    number = compact(number)
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def aux_digit(number: str) -> int:
    return int(compact(number)[0])


def iuv(number: str) -> str:
    """The IUV (identificativo univoco di versamento) inside a notice number."""
    number = compact(number)
    return number[3:] if number[0] == "0" else number[1:]


def application_code(number: str) -> str | None:
    number = compact(number)
    return number[1:3] if number[0] == "0" else None


def segregation_code(number: str) -> str | None:
    number = compact(number)
    return number[1:3] if number[0] == "3" else None


def generate(aux: int, iuv_base: str, application_code: str | None = None,
             segregation_code: str | None = None) -> str:
    """A notice number with correct check digits from its parts.

    aux 0 needs a 2-digit application code and a 13-digit IUV base; aux 1 a 17-digit
    IUV; aux 2 a 15-digit IUV base; aux 3 a 2-digit segregation code and a 13-digit base.
    """
    base = compact(iuv_base)
    if not base.isdigit() or not base.isascii():
        raise InvalidFormat("an IUV has digits only")
    code = {0: application_code, 3: segregation_code}.get(aux)
    if aux in (0, 3):
        name = "application code" if aux == 0 else "segregation code"
        if code is None or len(code) != 2 or not code.isdigit():
            raise InvalidComponent(f"aux digit {aux} needs a 2-digit {name}")
        want = 13
    elif aux == 1:
        want = 17
    elif aux == 2:
        want = 15
    else:
        raise InvalidComponent(f"aux digit {aux!r} does not exist; use 0, 1, 2 or 3")
    if len(base) != want:
        raise InvalidLength(f"with aux digit {aux} the IUV base has {want} digits, got {len(base)}")
    head = f"{aux}{code or ''}{base}"
    return head if aux == 1 else head + check_digits(head)
