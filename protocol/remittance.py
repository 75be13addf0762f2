"""Remittance information: what a bank statement line's description says it pays.

The reconciliation at the hub matches statement lines by what their description
carries (AgID "Specifiche attuative dei codici identificativi di versamento,
riversamento e rendicontazione" (SACI), chapters 3, 6 and 7; ISO 11649):

* ``pagopa-flow``: a PSP's cumulative transfer, ``/PUR/LGPE-RIVERSAMENTO/URI/<flow id>``
  (SACI ch. 6).  A flow id is ``<settlement date YYYY-MM-DD><PSP id>-<progressive>``,
  letters, digits, ``_`` and ``-``, at most 35 characters (SACI § 7.2);
* ``pagopa-single``: one pagoPA payment, ``/RFS/<IUV>/<amount>[/TXT/…]`` (an IUV
  that is an RF creditor reference) or ``/RFB/<IUV>[/<amount>][/TXT/…]`` (SACI ch. 3);
* ``rf``: an ISO 11649 RF creditor reference anywhere in the text (Greek RF codes,
  EPC transfers);
* ``none``: nothing of ours.

Banks mangle these lines, and `parse` reads them anyway: slashes turned into spaces,
``/TXT/<n>/`` inserted before ``URI``, a prefix glued on (``RI1/PUR/…``), text after
the id (``… /ZZ4/…``), a flow id split by a space (``20 21-03-17SIGPITM1XXX-S005147952``),
a flow transfer whose ``/PUR/LGPE-`` was cut off (``… RIVERSAMENTO/URI/<id>``), the
whole line in lower case.

    >>> parse('RI1/PUR/LGPE-RIVERSAMENTO/URI/2025-09-23BPPIITRRXXX-000038102790 ACCREDITO').flow_id
    '2025-09-23BPPIITRRXXX-000038102790'
    >>> parse('PUR LGPE-RIVERSAMENTO URI 20 21-03-17SIGPITM1XXX-S005147952 ZZ4 4184').flow_id
    '2021-03-17SIGPITM1XXX-S005147952'
    >>> r = parse('/RFS/RF78 5674 8393 7849 4505 5087 5/45.56')
    >>> (r.kind, r.iuv, r.amount_minor, r.reference)
    ('pagopa-single', 'RF78567483937849450550875', 4556, 'RF78567483937849450550875')
    >>> parse('/rfb/9876096598656344/12,34/txt/richiesta certificato').as_dict()['iuv']
    '9876096598656344'
    >>> parse('Rata 3 RF18 5390 0754 7034').reference
    'RF18539007547034'

Invalid lines keep their kind, with the id None, `usable` False and `errors` saying why:

    >>> r = parse('GIROCONTO /PUR/LGPE-RIVERSAMENTO/URI/2')
    >>> (r.kind, r.flow_id, r.usable, len(r.errors))
    ('pagopa-flow', None, False, 1)
    >>> r = parse('RF19 5390 0754 7034')
    >>> (r.kind, r.reference, r.usable)
    ('rf', None, False)
    >>> parse('/RFS/RF23 5674 8393 7849 4505 5087 5/45.56').usable  # SACI § 3.2's own example: RF78 is right
    False
    >>> parse('STIPENDIO MARZO').kind
    'none'

What is accepted, and why:

* kind says what the line claims to carry; ``flow_id``/``iuv``/``reference`` is None
  when it could not be read, and then ``errors`` is not empty.  A ``none`` line has no
  errors unless its text is too long to read (``MAX_TEXT``).  One kind per line, the
  first that applies of flow, single payment, RF.
* A flow id is complete when its date is a real date and a ``-`` separates a PSP id
  from a progressive.  What the bank cut short of that (``2``, ``2021-03-17SIGPITM1XXX``)
  is truncated, never taken as an id.  Pieces split by white space are joined only
  while the id is still incomplete, so a split inside the progressive is not healed.
  A trailing ``-`` (banks write ``<id>- <PSP name>``) is dropped.
* Case: ids keep the case they were written in, except when the tags themselves are
  in lower case: then the bank lowered the whole line, and the ids are upper-cased
  (PSP ids are BICs and ABI codes).  RF references are always upper case.
* An IUV is 15 to 35 letters and digits: 15 or 17 digits from a notice (SACI § 2.2),
  up to 35 characters when the creditor makes it (schema C), or an RF creditor
  reference, compact or in groups of four (schema D), whose check digits must pass.
  A notice number written in place of the IUV is taken as written.
* Amounts are euro with ``.`` or ``,`` for the decimals (``12.50``, ``12,50``, ``12``,
  ``1.234,56``), read by `protocol.money` into integer cents.  An ``/RFS/`` line
  without an amount is still usable, with an error saying the amount is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from protocol.money import MoneyError, parse_minor
from protocol.qr.checks import rf_ok

KINDS = ("pagopa-flow", "pagopa-single", "rf", "none")

FLOW_ID_MAX = 35  # SACI Tabella 4: identificativoFlusso an 1..35
IUV_MIN, IUV_MAX = 15, 35  # 15/17 digits from notices; creditor-made IUVs up to 35 (SACI § 2.3)
RF_MAX = 25  # ISO 11649: 'RF', 2 check digits, at most 21 letters and digits
MAX_TEXT = 4096  # an SCT carries 140 characters, MT940 :86: 390; more is not a description

# Error texts (the CLI and the reconciliation report show them; `str.format` fields).
TOO_LONG = "the description has {length} characters; at most {limit} are read, so nothing was"
FLOW_ID_MISSING = "the pagoPA flow transfer carries no flow id after URI"
FLOW_ID_TRUNCATED = ("the pagoPA flow id {seen!r} is truncated: a flow id is a settlement date YYYY-MM-DD, "
                     "the PSP's id, '-' and a progressive; find the flow by the amount and date")
FLOW_ID_NOT_AN_ID = ("{seen!r} after URI is not a pagoPA flow id (a settlement date YYYY-MM-DD, the PSP's id, "
                     "'-' and a progressive)")
FLOW_ID_BAD_DATE = "the pagoPA flow id {seen!r} starts with {day!r}, which is not a real date"
FLOW_ID_TOO_LONG = "the pagoPA flow id {seen!r} has {length} characters; a flow id has at most 35"
IUV_MISSING = "the /{tag}/ pagoPA payment carries no IUV after its tag"
IUV_TOO_SHORT = ("the IUV {seen!r} has {length} characters, fewer than 15: it is truncated or not an IUV")
IUV_TOO_LONG = "the IUV {seen!r} has {length} characters; an IUV has at most 35"
RF_CHECK_FAILED = ("the RF creditor reference {seen} fails its ISO 11649 check digits: it was mistyped "
                   "or is not an RF reference")
AMOUNT_MISSING = "the /RFS/ pagoPA payment carries no amount after its IUV (/RFS/<IUV>/<amount>)"
AMOUNT_UNREADABLE = "the amount {seen!r} after the IUV is not readable: {reason}"

_FLAGS = re.ASCII | re.IGNORECASE  # ASCII: '\d' and '\s' must not match other scripts' digits and spaces
# /PUR/ and LGPE- are optional: some banks cut them off ("… RIVERSAMENTO/URI/<id>").
_FLOW_TAG = re.compile(r"(?:PUR[/\s]*)?(?:LGPE[-\s]*)?RIVERSAMENTO(?:[/\s]+TXT[/\s]+[0-9]{1,3})?[/\s]*"
                       r"URI(?![A-Z])[/\s]*", _FLAGS)
_SINGLE_TAG = re.compile(r"(?<![A-Z])RF([SB])[/\s]+", _FLAGS)
_ID_RUN = re.compile(r"[A-Za-z0-9_-]*")
_NEXT_PIECE = re.compile(r"\s+([A-Za-z0-9_-]+)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TEMPLATE = "0000-00-00"
_FLOW_REST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*-[A-Za-z0-9_-]+")
_RF_START = re.compile(r"(?<![A-Z0-9])RF[0-9]{2}", _FLAGS)
_RF_FIRST = re.compile(r"RF[0-9]{2}[A-Z0-9]*(?![A-Z0-9])", _FLAGS)
# A group ends where a word would; not before '.45' or ',45', which make an amount ('5 45.56').
_RF_GROUP = re.compile(r"\s+([A-Z0-9]{1,4})(?=[/\s]|$|[^A-Z0-9.,]|[.,](?![0-9]))", _FLAGS)
_RF_SHAPE = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")
_IUV_TOKEN = re.compile(r"[A-Za-z0-9]+")
_AMOUNT = re.compile(r"[/\s]+([0-9][0-9.,]*[0-9]|[0-9])(?=[/\s]|$)")


@dataclass(frozen=True)
class Remittance:
    kind: str              # "pagopa-flow" | "pagopa-single" | "rf" | "none"
    flow_id: str | None
    iuv: str | None
    amount_minor: int | None
    reference: str | None  # RF in compact form
    errors: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """A reference we can match on was found."""
        if self.kind == "pagopa-flow":
            return self.flow_id is not None
        if self.kind == "pagopa-single":
            return self.iuv is not None
        if self.kind == "rf":
            return self.reference is not None
        return False

    def as_dict(self) -> dict:
        """The JSON object `counterpay remittance parse --json` prints."""
        return {"kind": self.kind, "flow_id": self.flow_id, "iuv": self.iuv, "amount_minor": self.amount_minor,
                "reference": self.reference, "errors": list(self.errors)}


def parse(text: str) -> Remittance:
    """What `text` (a statement line's description) pays; never raises for any str."""
    if not isinstance(text, str):
        return Remittance("none", None, None, None, None, (f"a description is text, not {type(text).__name__}",))
    if len(text) > MAX_TEXT:
        return Remittance("none", None, None, None, None, (TOO_LONG.format(length=len(text), limit=MAX_TEXT),))
    found = _FLOW_TAG.search(text)
    if found:
        return _flow(text, found)
    found = _SINGLE_TAG.search(text)
    if found:
        return _single(text, found)
    return _rf_anywhere(text)


def _lowered(tag: str) -> bool:
    """The tags are in lower case: the bank lowered the whole line, ids were upper case."""
    return any(c.isalpha() for c in tag) and not any(c.isupper() for c in tag)


# -- pagoPA flows -----------------------------------------------------------------------

def _flow(text: str, tag: re.Match) -> Remittance:
    seen, _ = _read_flow_id(text, tag.end())
    seen = seen.rstrip("-")
    if _lowered(tag.group(0)):
        seen = seen.upper()
    flow_id, error = _check_flow_id(seen)
    return Remittance("pagopa-flow", flow_id, None, None, None, (error,) if error else ())


def _read_flow_id(text: str, start: int) -> tuple[str, int]:
    """The id after URI, its pieces joined while a bank's stray space left it incomplete."""
    run = _ID_RUN.match(text, start)
    seen, pos = run.group(0), run.end()
    while not _complete(seen.rstrip("-")):
        piece = _NEXT_PIECE.match(text, pos)
        if not piece:
            break
        joined = seen + piece.group(1)
        if len(joined.rstrip("-")) > FLOW_ID_MAX or not _flow_prefix(joined):
            break
        seen, pos = joined, piece.end()
    return seen, pos


def _complete(candidate: str) -> bool:
    return (len(candidate) <= FLOW_ID_MAX and _DATE.match(candidate) is not None
            and _FLOW_REST.fullmatch(candidate, 10) is not None)


def _flow_prefix(candidate: str) -> bool:
    """`candidate` is how a flow id could begin (its date part so far has the date's shape)."""
    head = candidate[:10]
    return all(t == c if t == "-" else c in "0123456789" for t, c in zip(_DATE_TEMPLATE, head, strict=False))


def _real_date(day: str) -> bool:
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def _check_flow_id(seen: str) -> tuple[str | None, str | None]:
    if not seen:
        return None, FLOW_ID_MISSING
    if len(seen) > FLOW_ID_MAX:
        return None, FLOW_ID_TOO_LONG.format(seen=seen, length=len(seen))
    if len(seen) >= 10 and _DATE.match(seen) and not _real_date(seen[:10]):
        return None, FLOW_ID_BAD_DATE.format(seen=seen, day=seen[:10])
    if _complete(seen):
        return seen, None
    if _flow_prefix(seen):
        return None, FLOW_ID_TRUNCATED.format(seen=seen)
    return None, FLOW_ID_NOT_AN_ID.format(seen=seen)


# -- RF creditor references ---------------------------------------------------------------

def _rf_candidates(text: str, start: int) -> list[tuple[str, int]]:
    """Readings of an RF reference at `start`, compact or in groups of four: (compact, end), shortest first."""
    first = _RF_FIRST.match(text, start)
    if not first:
        return []
    compact, end = first.group(0).upper(), first.end()
    candidates = [(compact, end)] if _RF_SHAPE.fullmatch(compact) else []
    last = compact
    # ISO 11649 prints groups of four, the last one shorter: another group follows only a full one.
    while len(last) == 4 and len(compact) < RF_MAX:
        group = _RF_GROUP.match(text, end)
        if not group or len(compact) + len(group.group(1)) > RF_MAX:
            break
        last = group.group(1).upper()
        compact, end = compact + last, group.end()
        if _RF_SHAPE.fullmatch(compact):
            candidates.append((compact, end))
    return candidates


def _rf_reading(text: str, start: int) -> tuple[str | None, int, str | None]:
    """(reference, end, error): the longest reading whose check digits pass, else why none does."""
    candidates = _rf_candidates(text, start)
    for compact, end in reversed(candidates):
        if rf_ok(compact):  # stdnum's MOD 97-10 on the compact text the shape check made safe
            return compact, end, None
    if candidates:
        compact, end = candidates[-1]
        return None, end, RF_CHECK_FAILED.format(seen=compact)
    return None, start, None


def _rf_anywhere(text: str) -> Remittance:
    failed = None
    for start in _RF_START.finditer(text):
        reference, _, error = _rf_reading(text, start.start())
        if reference:
            return Remittance("rf", None, None, None, reference, ())
        failed = failed or error
    if failed:
        return Remittance("rf", None, None, None, None, (failed,))
    return Remittance("none", None, None, None, None, ())


# -- single pagoPA payments ---------------------------------------------------------------

def _single(text: str, tag: re.Match) -> Remittance:
    kind_tag = tag.group(1).upper()
    errors: list[str] = []
    iuv = reference = None
    pos = tag.end()
    if _RF_START.match(text, pos) and _rf_candidates(text, pos):
        reference, pos, error = _rf_reading(text, pos)
        iuv = reference
        errors += [error] if error else []
    else:
        iuv, pos, error = _plain_iuv(text, pos, kind_tag, _lowered(tag.group(0)))
        errors += [error] if error else []
    amount = None
    if iuv is not None:
        amount, error = _amount(text, pos, kind_tag)
        errors += [error] if error else []
    return Remittance("pagopa-single", None, iuv, amount, reference, tuple(errors))


def _plain_iuv(text: str, pos: int, kind_tag: str, lowered: bool) -> tuple[str | None, int, str | None]:
    token = _IUV_TOKEN.match(text, pos)
    if not token:
        return None, pos, IUV_MISSING.format(tag=f"RF{kind_tag}")
    seen = token.group(0).upper() if lowered else token.group(0)
    if len(seen) < IUV_MIN:
        return None, token.end(), IUV_TOO_SHORT.format(seen=seen, length=len(seen))
    if len(seen) > IUV_MAX:
        return None, token.end(), IUV_TOO_LONG.format(seen=seen[:40], length=len(seen))
    return seen, token.end(), None


def _amount(text: str, pos: int, kind_tag: str) -> tuple[int | None, str | None]:
    found = _AMOUNT.match(text, pos)
    if not found:
        return None, AMOUNT_MISSING if kind_tag == "S" else None
    try:
        return parse_minor(found.group(1), 2), None
    except MoneyError as exc:
        return None, AMOUNT_UNREADABLE.format(seen=found.group(1), reason=exc)
