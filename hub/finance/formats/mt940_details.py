"""What an MT940 `:86:` field says: the remittance description and, where given, the counterparty.

Free text comes as up to six lines of 65 characters.  Polish banks (ZBP's MT940 layout) and
German ones split it into numbered subfields instead, `~20`..`~29` the payment's title in
pieces of 27 characters and `~32`/`~33` the counterparty's name, after a three-digit
transaction code (`020~00PRZELEW~20Oplata skarbowa…~32JAN KOWALSKI`); banks use `~`, `<`,
`+`, `^` or (in Germany) `?` as the separator.

Rejoining pieces: a line or piece filled to its full width was cut by the bank's formatter,
possibly inside a word or an id, so it is glued to the next one as it is; a shorter one ended
where the writer ended it, so a single space goes between.  This keeps a pagoPA flow id or an
RF reference that the bank wrapped whole, and words apart.
"""

from __future__ import annotations

import re

LINE_WIDTH = 65       # SWIFT's 6*65x for :86:
SUBFIELD_WIDTH = 27   # ZBP: ~20..~25 are 6 pieces of 27x
SEPARATORS = "~<+^?"
DESCRIPTION_CODES = tuple(f"{n}" for n in range(20, 30))
COUNTERPARTY_CODES = ("32", "33")
_STRUCTURED = re.compile(r"^(?:\d{3})?([~<+^?])\d{2}")


def rejoin(pieces: list[str], width: int) -> str:
    out = ""
    for i, piece in enumerate(pieces):
        out += piece if len(piece) >= width else piece.rstrip()
        if i < len(pieces) - 1 and len(piece) < width and out:
            out += " "
    return out.strip()


def read_details(lines: list[str]) -> tuple[str, str | None]:
    """(description, counterparty or None) of one `:86:` field's lines."""
    lines = [line.rstrip("\r") for line in lines]
    first = lines[0] if lines else ""
    structured = _STRUCTURED.match(first)
    if not structured:
        return rejoin(lines, LINE_WIDTH), None
    sep = structured[1]
    # The subfields carry their own boundaries, so the line breaks between them mean nothing.
    parts = re.split(re.escape(sep) + r"(\d{2})", "".join(lines))
    subfields: dict[str, list[str]] = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        subfields.setdefault(code, []).append(value)
    description = rejoin([v for code in DESCRIPTION_CODES for v in subfields.get(code, [])], SUBFIELD_WIDTH)
    if not description:
        description = rejoin(subfields.get("00", []), SUBFIELD_WIDTH)
    counterparty = rejoin([v for code in COUNTERPARTY_CODES for v in subfields.get(code, [])], SUBFIELD_WIDTH)
    return description, counterparty or None
