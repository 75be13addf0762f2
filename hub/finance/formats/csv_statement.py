"""A bank statement exported as CSV, whose columns the user names or numbers, into a `Statement`.

Banks' CSV exports have no standard, so the user says which column is which, by header name
or by 1-based number: `--columns date=1,amount=3,description=5` (`parse_columns_option`).
Required: `date`, `amount`, `description`; optional: `currency`, `reference` (the bank's id
of the booking), `counterparty`, `direction`.

- Encoding: UTF-8 (a BOM dropped), else cp1250, else latin-1 (reading.TEXT_ENCODINGS).
- Delimiter: `,`, `;` or tab, whichever splits the first rows into the most columns alike.
- Rows before the data are skipped: with names, everything up to the header row that holds
  them (banks put the account and period above it); with numbers only, every row up to the
  first whose date cell is a date.  After that every non-empty row must be a booking.
- Dates: `YYYY-MM-DD` (a time after it is ignored), `DD.MM.YYYY`, `DD/MM/YYYY`, `DD-MM-YYYY`:
  day first, as European banks write it.
- Amounts: `,` or `.` decimals, thousands grouped by `.`, `,`, space or `'` (protocol.money;
  `1.234` alone is ambiguous and refused).  Negative is a debit, unless a `direction`
  column says which (C/D, CRDT/DBIT, credit/debit, +/-, and the words Polish, Italian and
  Greek banks use); a sign that contradicts the direction is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from hub.finance.formats.reading import check_size, decode_text
from hub.finance.records import ImportRefused, Statement, StatementLine
from protocol.money import MoneyError, check_currency, parse_minor, exponent

REQUIRED = ("date", "amount", "description")
OPTIONAL = ("currency", "reference", "counterparty", "direction")
DELIMITERS = (";", "\t", ",")
_SNIFF_ROWS = 20
# Direction words, compared in lower case.
CREDIT_WORDS = {"c", "cr", "crdt", "credit", "+", "in", "uznanie", "wpływ", "wplyw", "avere", "entrata",
                "πίστωση", "πιστωση"}
DEBIT_WORDS = {"d", "dr", "dbit", "debit", "-", "out", "obciążenie", "obciazenie", "wydatek", "dare", "uscita",
               "χρέωση", "χρεωση"}
_DATES = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"), (1, 2, 3)),
    (re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})"), (3, 2, 1)),
)


def parse_columns_option(text: str) -> dict[str, str | int]:
    """`date=1,amount=3,description=Opis` → {'date': 1, 'amount': 3, 'description': 'Opis'}."""
    columns: dict[str, str | int] = {}
    for item in (p.strip() for p in (text or "").split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not value:
            raise ImportRefused("--columns", f"{item!r} should be NAME=COLUMN, like date=1 or date=Booking date")
        if name not in REQUIRED + OPTIONAL:
            raise ImportRefused("--columns", f"{name!r} is not a column the import knows "
                                             f"({', '.join(REQUIRED + OPTIONAL)})")
        if name in columns:
            raise ImportRefused("--columns", f"{name!r} is given twice")
        if value.isdigit():
            if int(value) < 1:
                raise ImportRefused("--columns", f"{name}={value}: columns are numbered from 1")
            columns[name] = int(value)
        else:
            columns[name] = value
    _check_columns(columns)
    return columns


def _check_columns(columns: dict[str, str | int]) -> None:
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ImportRefused("--columns", f"say which column holds {', '.join(missing)} "
                                         "(e.g. --columns date=1,amount=3,description=5)")
    unknown = [name for name in columns if name not in REQUIRED + OPTIONAL]
    if unknown:
        raise ImportRefused("--columns", f"unknown column names {', '.join(unknown)}")


def parse_csv(data: bytes, columns: dict[str, str | int], *, currency: str | None = None) -> Statement:
    """Read a CSV statement; `currency` is the account's, for files without a currency column."""
    check_size(data)
    _check_columns(columns)
    if "currency" not in columns:
        if currency is None:
            raise ImportRefused("--columns", "the file has no currency column: name one (currency=4) or give "
                                             "the account's currency")
        try:
            check_currency(currency)
        except MoneyError as exc:
            raise ImportRefused("currency", str(exc)) from None
    text = decode_text(data)
    rows = _rows(text)
    index, start = _locate_columns(rows, columns)
    lines: list[StatementLine] = []
    for number, cells in rows[start:]:
        if not any(cell.strip() for cell in cells):
            continue
        lines.append(_line(number, cells, index, currency, len(lines) + 1))
    if not lines:
        raise ImportRefused("file", "no bookings found under the columns named")
    currencies = {line.currency for line in lines}
    return Statement(format="csv", statement_id=None, iban=None,
                     currency=currencies.pop() if len(currencies) == 1 else None, lines=tuple(lines))


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every row, the delimiter chosen by _sniff."""
    delimiter = _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows = []
    next_line = 1
    try:
        for cells in reader:
            rows.append((next_line, cells))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRefused(f"line {next_line}", f"not readable as CSV: {exc}") from None
    return rows


def _sniff(text: str) -> str:
    sample = text.splitlines()[:_SNIFF_ROWS]

    def score(delimiter: str) -> tuple[int, int]:
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=delimiter) if row]
        except csv.Error:
            return (0, 0)
        # Rows above the header (account, period) are shorter; the data's width is the most common one.
        common = max(set(widths), key=widths.count) if widths else 0
        return (widths.count(common) if common > 1 else 0, common)

    return max(DELIMITERS, key=score)


def _locate_columns(rows, columns) -> tuple[dict[str, int], int]:
    """(0-based index of each named column, index of the first data row)."""
    names = {k: v for k, v in columns.items() if isinstance(v, str)}
    index = {k: v - 1 for k, v in columns.items() if isinstance(v, int)}
    if names:
        wanted = {v.strip().lower() for v in names.values()}
        for i, (_, cells) in enumerate(rows):
            header = [c.strip().lower() for c in cells]
            if wanted <= set(header):
                index.update({k: header.index(v.strip().lower()) for k, v in names.items()})
                return index, i + 1
        raise ImportRefused("file", f"no header row holds the columns {', '.join(repr(v) for v in names.values())}")
    for i, (_, cells) in enumerate(rows):
        if index["date"] < len(cells) and _date(cells[index["date"]]) is not None:
            return index, i
    raise ImportRefused("file", f"no row has a date in column {index['date'] + 1}")


def _line(number: int, cells: list[str], index: dict[str, int], currency: str | None,
          position: int) -> StatementLine:
    def cell(name: str) -> str | None:
        if name not in index:
            return None
        if index[name] >= len(cells):
            raise ImportRefused(f"line {number}, column {name}", f"the row has {len(cells)} cells, "
                                                                  f"no column {index[name] + 1}")
        return cells[index[name]].strip()

    where = f"line {number}, column"
    date_text = cell("date")
    booking_date = _date(date_text)
    if booking_date is None:
        raise ImportRefused(f"{where} date", f"{date_text!r} is not a date (YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY)")
    line_currency = (cell("currency") or "").upper() if "currency" in index else currency
    try:
        exp = exponent(line_currency)
    except MoneyError as exc:
        raise ImportRefused(f"{where} currency", str(exc)) from None
    try:
        minor = parse_minor(cell("amount"), exp)
    except MoneyError as exc:
        raise ImportRefused(f"{where} amount", str(exc)) from None
    if minor == 0:
        raise ImportRefused(f"{where} amount", "the amount is zero; a booking moves money")
    credit = minor > 0
    if "direction" in index:
        word = cell("direction").lower()
        if word not in CREDIT_WORDS | DEBIT_WORDS:
            raise ImportRefused(f"{where} direction", f"{word!r} says neither credit nor debit")
        said = word in CREDIT_WORDS
        if minor < 0 and said:
            raise ImportRefused(f"{where} direction", "a negative amount on a credit")
        credit = said
    return StatementLine(
        position=position, booking_date=booking_date, value_date=None, amount_minor=abs(minor),
        currency=line_currency, credit=credit, reversal=False, description=cell("description") or "",
        structured_reference=None, bank_reference=cell("reference") or None,
        counterparty=cell("counterparty") or None)


def _date(text: str) -> dt.date | None:
    for pattern, (y, m, d) in _DATES:
        match = pattern.fullmatch(text.strip())
        if match:
            try:
                return dt.date(int(match[y]), int(match[m]), int(match[d]))
            except ValueError:
                return None
    return None
