"""The notices' typeface: DejaVu Sans, shipped in hub/notices/fonts/ (see its LICENSE there).

A PDF must embed the font its text is set in.  Embedding the whole DejaVu Sans (760 KB,
6,000 glyphs) in every notice is too heavy, and cutting a subset per notice with fontTools
costs tens of milliseconds; so at first use the process cuts one subset covering what
notices in our five languages print (Latin with its Latvian, Polish and Italian letters,
Greek, the punctuation and currency signs CLDR formats use) and every notice embeds it
(about 20 KB compressed).  A notice with a letter outside it (a Cyrillic or Turkish payer
name, say) gets a subset that adds its letters, cut for it and cached: exact text always,
the slow path only when needed.  A character DejaVu Sans lacks prints as its empty box.
Headings are the same face drawn with an outline (PDF text render mode 2, Pillow's stroke):
one font program per notice, and layout measures one set of widths.

Widths are in font units per 1000 of the size (PDF's text space), for layout and for the
PDF's width array alike.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FONTS = Path(__file__).parent / "fonts"
REGULAR = FONTS / "DejaVuSans.ttf"
# What notices print in en, it, pl, el, lv: Basic Latin, Latin-1, Latin Extended-A (ā ē ģ ī ķ ļ ņ ū
# ą ć ę ł ń ś ź ż ...), Romanian's comma letters, Greek and Coptic, general punctuation (CLDR's
# narrow no-break space U+202F among them), the euro sign, numero, minus, replacement character.
COVERED = frozenset(c for start, end in ((0x20, 0x7E), (0xA0, 0x17F), (0x218, 0x21B), (0x2BC, 0x2BC),
                                         (0x370, 0x3FF), (0x2010, 0x2027), (0x202F, 0x203A), (0x20AC, 0x20AC),
                                         (0x2116, 0x2116), (0x2212, 0x2212), (0xFFFD, 0xFFFD))
                    for c in range(start, end + 1))

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Face:
    """One font program ready to embed: glyph ids and widths by character, and its bytes."""
    name: str
    program: bytes = field(repr=False)          # the TrueType file, zlib-compressed for FontFile2
    program_length: int
    glyphs: dict[int, int] = field(repr=False)  # code point → glyph id
    widths: dict[int, int] = field(repr=False)  # glyph id → advance, per 1000 of the size
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]

    def glyph(self, char: str) -> int:
        return self.glyphs.get(ord(char), 0)

    def width(self, text: str, size: float) -> float:
        """The advance of `text` set at `size`, in the size's unit."""
        return sum(self.widths.get(self.glyphs.get(ord(c), 0), 0) for c in text) * size / 1000


@lru_cache(maxsize=1)
def _source() -> bytes:
    return REGULAR.read_bytes()


@lru_cache(maxsize=32)
def face(extra: frozenset[int] = frozenset()) -> Face:
    """The notice subset of DejaVu Sans, with the `extra` code points added."""
    font = TTFont(io.BytesIO(_source()), recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []        # no shaping: Latin and Greek need none
    options.hinting = False
    options.notdef_outline = True       # a missing letter shows as a box, not as nothing
    options.name_IDs = ["*"]            # keep the copyright and licence strings in the embedded font
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "hdmx", "MATH"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(COVERED | extra))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    program = out.getvalue()
    scale = 1000 / font["head"].unitsPerEm
    glyph_ids = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    metrics = font["hmtx"].metrics
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    return Face(name="DejaVuSans", program=zlib.compress(program, 6),
                program_length=len(program),
                glyphs={code: glyph_ids[name] for code, name in font.getBestCmap().items()},
                widths={glyph_ids[name]: round(advance * scale) for name, (advance, _) in metrics.items()},
                ascent=round(hhea.ascent * scale), descent=round(hhea.descent * scale),
                cap_height=round(getattr(os2, "sCapHeight", hhea.ascent) * scale),
                bbox=(round(head.xMin * scale), round(head.yMin * scale), round(head.xMax * scale),
                      round(head.yMax * scale)))


@lru_cache(maxsize=1)
def _full_coverage() -> frozenset[int]:
    return frozenset(TTFont(io.BytesIO(_source()), lazy=True).getBestCmap())


def face_for(texts: list[str]) -> Face:
    """The face that prints every character of `texts`: the common subset unless one lacks a letter."""
    outside = {ord(c) for text in texts for c in text if ord(c) not in COVERED and c not in "\n\r\t"}
    if not outside:
        return face()
    missing = outside - _full_coverage()
    if missing:
        log.warning("DejaVu Sans has no glyph for %s: it prints as a box",
                    ", ".join(f"U+{c:04X}" for c in sorted(missing)))
    return face(frozenset(outside - missing))
