"""What every finance parser does to raw bytes first: a size limit, decoding text, compacting an IBAN.

Files come from people's uploads and from bank portals, so the limit is checked before any
parsing, and text decoding is explicit about its fallbacks instead of guessing silently.
"""

from __future__ import annotations

from stdnum import iban as stdnum_iban

from hub.finance.records import ImportRefused

# The largest file accepted.  A busy office's monthly camt.053 is a few MB; pagoPA flows are
# capped by the node at far less.  50 MB leaves room for a year in one file and still keeps a
# parse (the whole tree is held in memory) well under a second of a core and a few hundred MB.
MAX_FILE_BYTES = 50 * 1024 * 1024

# Text encodings tried, in order, for MT940 and CSV.  UTF-8 (with or without BOM) first: it
# rarely decodes text that is not UTF-8.  Then cp1250, what Polish banks' exports use; then
# latin-1, which decodes any byte, so a file in another single-byte code page is read rather
# than refused (its accented letters may come out wrong, its digits and dates never do).
TEXT_ENCODINGS = ("utf-8", "cp1250", "latin-1")


def check_size(data: bytes) -> None:
    if not isinstance(data, (bytes, bytearray)):
        raise ImportRefused("file", f"expected the file's bytes, got {type(data).__name__}")
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused("file", f"the file has {len(data):,} bytes, more than the {MAX_FILE_BYTES:,} "
                                    "accepted; split it (one statement or flow per file)")
    if not data.strip():
        raise ImportRefused("file", "the file is empty")


def decode_text(data: bytes) -> str:
    """The file as text: UTF-8 (a BOM dropped), else cp1250, else latin-1 (see TEXT_ENCODINGS)."""
    raw = bytes(data)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in TEXT_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    if "\x00" in text:
        # UTF-16 exports and binary files: every other byte NUL. Not a text statement.
        raise ImportRefused("file", "the file contains NUL bytes: it is not a text file (UTF-16? save it as UTF-8)")
    return text


def compact_iban(text: str, where: str) -> str:
    """An IBAN without spaces, upper case, its check digits verified."""
    value = stdnum_iban.compact(text)
    if not stdnum_iban.is_valid(value):
        raise ImportRefused(where, f"{text!r} is not a valid IBAN (wrong length or check digits)")
    return value


def looks_like_iban(text: str) -> bool:
    return stdnum_iban.is_valid(stdnum_iban.compact(text))
