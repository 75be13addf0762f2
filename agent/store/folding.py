"""Names and ids in the one form the desk searches them by, whatever way they were typed.

>>> fold_name("  Łukasz   Wiśniewski ")
'lukasz wisniewski'
>>> fold_name("ΓΕΏΡΓΙΟΣ Παπαδόπουλος") == fold_name("γεωργιος παπαδοπουλος")
True
>>> compact_id("rss mra 80a01 h501u"), compact_id("010180-12345")
('RSSMRA80A01H501U', '01018012345')
"""

from __future__ import annotations

import unicodedata

# Letters with a stroke do not decompose in Unicode: mapped by hand.
_STROKES = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ħ": "h", "ŧ": "t", "ß": "ss"})
_ID_SEPARATORS = str.maketrans("", "", " -./\t")


def fold_name(text: str) -> str:
    """Case-folded, without accents or strokes, one space between words."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold().translate(_STROKES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def compact_id(text: str) -> str:
    """An id or fiscal code without spaces, dashes, dots or slashes, upper case."""
    return text.translate(_ID_SEPARATORS).upper()
