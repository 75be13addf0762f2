"""SWIFT MT940 customer statements into a `Statement`, read tag by tag with the mt-940 package.

The file is cut into tags here, so that every tag keeps the line it starts on for error
messages; each tag's content is then parsed by mt-940's own tag parsers (`mt940.tags`), with
all of its fixes switched on (`Options.all()`: RC signed as the debit it is, lowercase marks).
A file may hold several statements (one per `:20:`), all of one account.  Each statement's
closing balance must equal its opening balance plus its movements: a file cut short or a
line lost in transfer is refused rather than half imported.

`:61:` gives the value date, the entry (booking) date when present, the mark (C, D, RC
reversal of a credit = money out, RD reversal of a debit = money in), the amount with a
decimal comma and the bank's reference after `//`; `:86:` the description (mt940_details).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal

import mt940 as mt940_package

from hub.finance.formats.mt940_details import read_details
from hub.finance.formats.reading import check_size, decode_text, looks_like_iban
from hub.finance.records import ImportRefused, Statement, StatementLine
from protocol.money import MoneyError, exponent

# mt-940 logs every tag it cannot parse at ERROR, with the statement's content (names, accounts):
# the refusal below already says what and where, so its own log would only leak data into ours.
logging.getLogger("mt940").setLevel(logging.CRITICAL)

_TAG = re.compile(r"^:(\d{2}[A-Z]?|NS):")
_TAGS = mt940_package.tags.TAG_BY_ID
OPENING = ("60F", "60M", "60")
CLOSING = ("62F", "62M", "62")
_CREDIT_MARKS = ("C", "RD")


class _Tag:
    __slots__ = ("name", "line", "lines")

    def __init__(self, name: str, line: int, first: str) -> None:
        self.name, self.line, self.lines = name, line, [first]

    @property
    def value(self) -> str:
        return "\n".join(self.lines).strip()

    @property
    def where(self) -> str:
        return f"line {self.line}"


def parse_mt940(data: bytes) -> Statement:
    """Read one MT940 file; ImportRefused with the line number if anything is wrong."""
    check_size(data)
    tags = _cut_into_tags(decode_text(data))
    statements = _group_statements(tags)
    # Compared as IBANs where they are, so `/PL61…` and `PL61…` are one account.
    accounts = {_iban(_account_text(s)) or _account_text(s) for s in statements}
    if len(accounts) > 1:
        raise ImportRefused(f"line {statements[1][0].line}", "the statements in this file are of different "
                                                              f"accounts ({', '.join(sorted(accounts))}): "
                                                              "import one account per file")
    ids, currencies, lines = [], set(), []
    for statement in statements:
        statement_id, currency, statement_lines = _read_statement(statement, len(lines) + 1)
        ids.append(statement_id)
        currencies.add(currency)
        lines.extend(statement_lines)
    account = accounts.pop()
    return Statement(format="mt940", statement_id=",".join(ids), iban=_iban(account),
                     currency=currencies.pop() if len(currencies) == 1 else None, lines=tuple(lines))


def _cut_into_tags(text: str) -> list[_Tag]:
    tags: list[_Tag] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        match = _TAG.match(line)
        if match:
            tags.append(_Tag(match[1], number, line[match.end():]))
        elif line.strip() in ("-", "-}", "}") or line.startswith("{"):
            # SWIFT envelope blocks ({1:..}{2:..}{4:) and the "-" ending each message.
            continue
        elif tags:
            tags[-1].lines.append(line)
        elif line.strip():
            raise ImportRefused(f"line {number}", f"{line[:40]!r} is not an MT940 tag (a statement starts with :20:)")
    if not tags:
        raise ImportRefused("line 1", "no MT940 tags (:20:, :25:, :61:, ...) in the file")
    return tags


def _group_statements(tags: list[_Tag]) -> list[list[_Tag]]:
    statements: list[list[_Tag]] = []
    for tag in tags:
        if tag.name == "20":
            statements.append([tag])
        elif not statements:
            raise ImportRefused(tag.where, f":{tag.name}: before the first :20: (the statement's reference)")
        else:
            statements[-1].append(tag)
    for statement in statements:
        names = [t.name for t in statement]
        if "25" not in names:
            raise ImportRefused(statement[0].where, "the statement has no :25: account")
        if not any(n in OPENING for n in names):
            raise ImportRefused(statement[0].where, "the statement has no opening balance :60F:")
        if not any(n in CLOSING for n in names):
            raise ImportRefused(statement[-1].where, "the statement has no closing balance :62F: (cut short?)")
    return statements


def _account_text(statement: list[_Tag]) -> str:
    return next(t for t in statement if t.name == "25").value


def _read_statement(tags: list[_Tag], position: int) -> tuple[str, str, list[StatementLine]]:
    """(statement id, currency, lines) of the tags from one :20: to the next."""
    context = mt940_package.models.Transactions(options=mt940_package.Options.all())
    reference = tags[0].value
    number = next((t.value for t in tags if t.name in ("28C", "28")), None)
    opening = closing = None
    # Each :61: with the :86: that follows it (a :86: before any :61: is about the statement).
    movements: list[tuple[_Tag, dict, list[str]]] = []
    for tag in tags:
        if tag.name in OPENING and opening is None:
            opening = _balance(context, tag)
        elif tag.name in CLOSING:
            closing = _balance(context, tag)
        elif tag.name == "61":
            if opening is None:
                raise ImportRefused(tag.where, ":61: before the opening balance :60F:")
            movements.append((tag, _movement(context, tag), []))
        elif tag.name == "86" and movements and not movements[-1][2]:
            movements[-1][2].extend(tag.lines)
    opening_minor, currency, _ = opening
    lines: list[StatementLine] = []
    movement_sum = 0
    for index, (tag, parsed, details) in enumerate(movements):
        description, counterparty = read_details(details) if details else ("", None)
        minor, credit, reversal = _signed_parts(tag, parsed, currency)
        movement_sum += minor if credit else -minor
        lines.append(StatementLine(
            position=position + index, booking_date=_plain(parsed.get("entry_date") or parsed["date"]),
            value_date=_plain(parsed["date"]), amount_minor=minor, currency=currency, credit=credit,
            reversal=reversal, description=description, structured_reference=None,
            bank_reference=(parsed.get("bank_reference") or "").strip() or None, counterparty=counterparty))
    closing_minor, closing_currency, closing_tag = closing
    if closing_currency != currency:
        raise ImportRefused(closing_tag.where, f"closing balance in {closing_currency}, opening in {currency}")
    if opening_minor + movement_sum != closing_minor:
        raise ImportRefused(closing_tag.where, f"the closing balance is {closing_minor} minor units but the opening "
                                               f"balance {opening_minor} plus the movements {movement_sum:+} makes "
                                               f"{opening_minor + movement_sum}: the file is incomplete or altered")
    return (f"{reference}/{number}" if number else reference), currency, lines


def _balance(context, tag: _Tag) -> tuple[int, str, _Tag]:
    parser = _TAGS.get(tag.name) or _TAGS[int(tag.name[:2])]
    try:
        result = parser(context, parser.parse(context, tag.value))
        balance = next(iter(result.values()))
        currency = str(balance.amount.currency or "").upper()
        minor = _minor(balance.amount.amount, currency)
    except (RuntimeError, ValueError, ArithmeticError, TypeError, KeyError, StopIteration, MoneyError):
        raise ImportRefused(tag.where, f":{tag.name}: {tag.value[:40]!r} is not a balance "
                                       "(C or D, date YYMMDD, currency, amount with a comma)") from None
    context.data.update(result)
    return minor, currency, tag


def _movement(context, tag: _Tag) -> dict:
    parser = _TAGS[61]
    try:
        parsed = parser(context, parser.parse(context, tag.value))
    except (RuntimeError, ValueError, ArithmeticError, TypeError, KeyError):
        raise ImportRefused(tag.where, f":61: {tag.value[:60]!r} is not a statement line (value date YYMMDD, "
                                       "entry date MMDD, C/D/RC/RD, amount with a comma, type code, "
                                       "reference)") from None
    return parsed


def _signed_parts(tag: _Tag, parsed: dict, currency: str) -> tuple[int, bool, bool]:
    mark = str(parsed.get("status") or "").upper()
    try:
        minor = abs(_minor(parsed["amount"].amount, currency))
    except (ArithmeticError, ValueError, MoneyError):
        raise ImportRefused(tag.where, f"the amount of {tag.value[:40]!r} has more decimals than "
                                       f"{currency} has") from None
    if minor == 0:
        raise ImportRefused(tag.where, "the amount is zero; a booking moves money")
    return minor, mark in _CREDIT_MARKS, mark.startswith("R")


def _minor(amount: Decimal, currency: str) -> int:
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError("too many decimals")
    return int(scaled)


def _plain(day: dt.date) -> dt.date:
    # mt-940's Date subclass would compare equal but not be the plain date the records promise.
    return dt.date(day.year, day.month, day.day)


def _iban(account: str) -> str | None:
    """The IBAN `:25:` names: `PL61…`, `BIC/IBAN`, `/IBAN`, or a Polish NRB of 26 digits."""
    candidate = account.rsplit("/", 1)[-1].replace(" ", "").upper()
    if looks_like_iban(candidate):
        return candidate
    if re.fullmatch(r"\d{26}", candidate) and looks_like_iban("PL" + candidate):
        return "PL" + candidate
    return None
