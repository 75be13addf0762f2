"""QR codes whose data mask is chosen fast: segno's choice, scored with whole rows as integers.

ISO/IEC 18004:2015 §7.8 wants the symbol masked with the best of eight patterns, the one
whose penalty (§7.8.3.1, Table 11: N1 runs of five or more, N2 2×2 blocks, N3 the finder-like
1:1:3:1:1 pattern, N4 the dark share) is lowest.  segno scores the eight candidates module by
module in Python, 2-3 ms of CPU a code and most of a notice's time.  Here every row and every
column of the symbol sit side by side in one Python integer (bit j of a line = module j, 8
light bits between lines), so a mask is one XOR and each rule a few shifts, ANDs and bit
counts over the whole symbol; only the few N3 matches are walked one by one, to count them
exactly as segno does.  Python's integers are arbitrary-precision C arithmetic: no numpy
needed.  The scores are segno's own (its reading of N3 at the
symbol's edges included), so the mask chosen is the one segno would choose: the code is the
same symbol, module for module (tests/protocol/test_qr_masking.py checks that on random
payloads), and decodes the same.

How: segno encodes the payload with mask 0 fixed (no evaluation); mask 0 is taken off again
and the format and version areas cleared, which gives the matrix segno evaluates; the best
mask is applied, and segno's own routines write the format and version information.  Micro
QR codes are not made here (none of our codes is one).  segno's encoder internals are used
(`segno.encoder`): the test compares whole symbols with segno.make, so a segno release that
changed them would fail it.
"""

from __future__ import annotations

from functools import lru_cache

import segno
from segno import encoder

N1, N2, N3, N4 = 3, 3, 40, 10
_PATTERN = (1, 0, 1, 1, 1, 0, 1)        # dark light dark dark dark light dark (§7.8.3.1, N3)
GAP = 8                                 # light bits between two lines side by side (N3 looks 4 past a line)


def make(content: bytes, *, error: str, boost_error: bool) -> segno.QRCode:
    """segno.make(content, error=error, micro=False, boost_error=boost_error), the mask found fast."""
    first = encoder.encode(content, error=error, mask=0, micro=False, boost_error=boost_error)
    width = len(first.matrix)
    rows = _unmasked(first.matrix, width)
    best = best_mask(rows, width)
    matrix = tuple(bytearray((row >> j) & 1 for j in range(width)) for row in _masked(rows, width, best))
    encoder.add_format_info(matrix, first.version, first.error, best)
    encoder.add_version_info(matrix, first.version)
    return segno.QRCode(first._replace(matrix=matrix, mask=best))


@lru_cache(maxsize=64)
def _regions(width: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the encoding region of each row as an integer, the format and version areas of each row)."""
    function = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(function, width, width)
    encoder.add_alignment_patterns(function, width, width)
    function[-8][8] = 0x1               # the dark module is no data
    # Reserved areas are 0 in a new matrix; so are light timing modules, which are 0 anyway.
    reserved = encoder.make_matrix(width, width)
    return (tuple(_bits(v > 1 for v in row) for row in function),
            tuple(_bits(v == 0 for v in row) for row in reserved))


@lru_cache(maxsize=64)
def _patterns(width: int) -> tuple[tuple[int, ...], ...]:
    """For each of the 8 masks, the modules it turns, row by row, within the encoding region."""
    region, _ = _regions(width)
    functions = encoder.get_data_mask_functions(is_micro=False)
    return tuple(tuple(_bits(bool(fn(i, j)) for j in range(width)) & region[i] for i in range(width))
                 for fn in functions)


def _bits(values) -> int:
    out = 0
    for j, value in enumerate(values):
        if value:
            out |= 1 << j
    return out


def _unmasked(matrix, width: int) -> list[int]:
    """The matrix as segno scores it: mask 0 taken off, format and version areas (and the dark module) light."""
    _, reserved = _regions(width)
    mask0 = _patterns(width)[0]
    return [(_bits(row) ^ mask0[i]) & ~reserved[i] for i, row in enumerate(matrix)]


def _masked(rows: list[int], width: int, mask: int) -> list[int]:
    return [row ^ flip for row, flip in zip(rows, _patterns(width)[mask], strict=True)]


def _columns(rows: list[int], width: int) -> list[int]:
    columns = [0] * width
    for i, row in enumerate(rows):
        bit = 1 << i
        while row:
            low = row & -row
            columns[low.bit_length() - 1] |= bit
            row ^= low
    return columns


def _lanes(lines: list[int], lane: int) -> int:
    """The lines side by side in one integer, line k at bit GAP + k * lane; the bits between are 0."""
    out = 0
    for k, line in enumerate(lines):
        out |= line << (GAP + k * lane)
    return out


@lru_cache(maxsize=64)
def _layout(width: int) -> tuple[int, int, int, int, int, tuple[int, ...]]:
    """Per symbol width: the lane width, the masks of lane positions each rule looks at, and the
    8 masks' flips as lanes (rows then columns)."""
    lane = width + GAP                  # GAP light bits after each line: the edge reads as light
    count = 2 * width
    def repeated(bits: int, lanes: int = count) -> int:
        return _lanes([bits] * lanes, lane)
    pairs = repeated((1 << (width - 1)) - 1)                  # j and j+1 both in the line
    starts = repeated((1 << (width - 6)) - 1)                 # a 7-module pattern fits from j
    blocks = repeated((1 << (width - 1)) - 1, width - 1)      # rows that have a row below
    rows = repeated((1 << width) - 1, width)
    flips = tuple(_lanes(list(rows_k) + _columns(list(rows_k), width), lane) for rows_k in _patterns(width))
    return lane, pairs, starts, blocks, rows, flips


def best_mask(rows: list[int], width: int) -> int:
    """The mask (0-7) with the lowest penalty for the unmasked `rows`; the first of equals, as segno."""
    lane, *_, flips = _layout(width)
    base = _lanes(rows + _columns(rows, width), lane)
    scores = [sum(penalties(base ^ flip, width)) for flip in flips]
    return scores.index(min(scores))


def penalties(lines: int, width: int) -> tuple[int, int, int, int]:
    """(N1, N2, N3, N4) of a masked matrix as segno.encoder.mask_scores counts them, the matrix
    given as its rows and then its columns in lanes (`_lanes`)."""
    lane, pairs, starts, blocks, rows, _ = _layout(width)
    # N1: a run of L >= 5 like modules scores L - 2, which is its L - 4 windows of five plus 2.
    equal = ~(lines ^ (lines >> 1)) & pairs                   # bit j: modules j and j+1 alike
    windows = equal & (equal >> 1) & (equal >> 2) & (equal >> 3)
    n1 = windows.bit_count() + 2 * (windows & ~(equal << 1)).bit_count()
    # N2: 2x2 blocks of one colour, row k against row k+1 (the next lane).
    same = ~(lines ^ (lines >> lane))                         # bit j of lane k: rows k and k+1 agree
    n2 = (same & (same >> 1) & equal & blocks).bit_count()
    # N3: 1011101 found in every line at once, then counted one by one (they are few).
    found = lines & starts
    for shift, dark in enumerate(_PATTERN[1:], start=1):
        found &= (lines >> shift) if dark else ~(lines >> shift)
    n3 = _finder_like(lines, found, width, lane) if found else 0
    dark = (lines & rows).bit_count()
    percent = dark / (width * width)
    return n1, N2 * n2, n3, N4 * int(abs(percent * 100 - 50) / 5)


def _finder_like(lines: int, found: int, width: int, lane: int) -> int:
    """N3 as segno counts it: in each line left to right, a match with 4 light modules (or the
    symbol's edge) before or after it scores and the search goes on 7 modules on; one without
    goes on 4 modules on.  `found` has a bit where a match starts."""
    score, next_from, current = 0, 0, -1
    while found:
        low = found & -found
        found ^= low
        bit = low.bit_length() - 1
        line, idx = divmod(bit - GAP, lane)
        if line != current:
            current, next_from = line, 0
        if idx < next_from:
            continue
        if idx in (0, width - 7) or not (lines >> (bit - 4)) & 0xF or not (lines >> (bit + 7)) & 0xF:
            score += N3
            next_from = idx + 7
        else:
            next_from = idx + 4
    return score
