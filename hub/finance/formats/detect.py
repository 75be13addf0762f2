"""Which finance format a file is, and reading it with the right parser.

Detection looks at the content first (the file name only breaks a tie): an XML root of
FlussoRiversamento is a pagoPA flow, a camt namespace or BkToCstmr… element a camt
statement, `:20:` and `:61:`/`:25:` tags MT940, and text split by `,`, `;` or tabs CSV.
"""

from __future__ import annotations

import re

from hub.finance.formats.camt import parse_statement
from hub.finance.formats.csv_statement import parse_csv
from hub.finance.formats.fdr import parse_flow
from hub.finance.formats.mt940 import parse_mt940
from hub.finance.formats.reading import check_size, decode_text
from hub.finance.records import Flow, ImportRefused, Statement

FORMATS = ("fdr", "camt", "mt940", "csv")
_HEAD_BYTES = 4096
_MT940_TAGS = re.compile(r"^:(20|25|28C?|60[FM]|61):", re.MULTILINE)
_MT940_NAMES = (".sta", ".mt940", ".940", ".swi")


def detect_format(data: bytes, filename: str | None = None) -> str:
    """`fdr`, `camt`, `mt940` or `csv`; ImportRefused when the file is none of them."""
    check_size(data)
    head = bytes(data[:_HEAD_BYTES]).lstrip(b"\xef\xbb\xbf \t\r\n")
    name = (filename or "").lower()
    if head.startswith(b"<"):
        if b"FlussoRiversamento" in head:
            return "fdr"
        if re.search(rb"camt\.05[34]|BkToCstmrStmt|BkToCstmrDbtCdtNtfctn", head):
            return "camt"
        raise ImportRefused("file", "an XML file that is neither a pagoPA FlussoRiversamento nor a camt.053/054 "
                                    "statement")
    text = decode_text(data[:_HEAD_BYTES])
    if len(_MT940_TAGS.findall(text)) >= 2 or (name.endswith(_MT940_NAMES) and _MT940_TAGS.search(text)):
        return "mt940"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if name.endswith((".csv", ".txt")) or any(d in first for d in (";", "\t", ",")):
        return "csv"
    raise ImportRefused("file", "cannot tell the format (not XML, MT940 or CSV): name it with --format")


def parse_file(data: bytes, fmt: str = "auto", columns: dict[str, str | int] | None = None, *,
               filename: str | None = None, currency: str | None = None) -> Flow | Statement:
    """Read a file as `fmt` (`auto` detects it); CSV needs `columns` and, without a currency column, `currency`."""
    if fmt == "auto":
        fmt = detect_format(data, filename)
    if fmt == "fdr":
        return parse_flow(data)
    if fmt == "camt":
        return parse_statement(data)
    if fmt == "mt940":
        return parse_mt940(data)
    if fmt == "csv":
        if not columns:
            raise ImportRefused("--columns", "a CSV statement needs its columns named, e.g. "
                                             "--columns date=1,amount=3,description=5")
        return parse_csv(data, columns, currency=currency)
    raise ImportRefused("--format", f"{fmt!r} is not one of auto, {', '.join(FORMATS)}")
