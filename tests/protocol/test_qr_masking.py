"""The fast mask choice (protocol/qr/masking.py) makes segno's own symbol: for random payloads,
of every length and mode, the same mask, the same modules, and a code zbar reads back."""

from __future__ import annotations

import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.qr import masking
from protocol.qr.image import make_png, open_image, read_codes
from segno import encoder

payloads = st.one_of(st.binary(min_size=1, max_size=400),
                     st.text(alphabet="0123456789", min_size=1, max_size=600).map(str.encode),
                     st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:", min_size=1,
                             max_size=500).map(str.encode),
                     st.text(min_size=1, max_size=200).map(str.encode))


@settings(max_examples=400, deadline=None)
@given(payload=payloads, boost=st.booleans(), error=st.sampled_from("lmqh"))
def test_the_chosen_mask_and_the_whole_symbol_are_segnos(payload, boost, error):
    try:
        expected = segno.make(payload, error=error, micro=False, boost_error=boost)
    except segno.DataOverflowError:
        return
    made = masking.make(payload, error=error, boost_error=boost)
    assert made.mask == expected.mask
    assert made.version == expected.version and made.error == expected.error
    assert made.matrix == expected.matrix


@settings(max_examples=60, deadline=None)
@given(payload=payloads)
def test_every_masks_penalty_is_segnos(payload):
    code = encoder.encode(payload, error="m", mask=0, micro=False, boost_error=False)
    width = len(code.matrix)
    rows = masking._unmasked(code.matrix, width)
    lane, *_, flips = masking._layout(width)
    for mask in range(8):
        matrix = tuple(bytearray((row >> j) & 1 for j in range(width)) for row in masking._masked(rows, width, mask))
        lines = masking._lanes(rows + masking._columns(rows, width), lane) ^ flips[mask]
        assert masking.penalties(lines, width) == encoder.mask_scores(matrix, width, width)


def test_symbols_of_every_version_scan_back():
    for size in (1, 40, 150, 400, 1200):
        payload = ("Jānis Bērziņš · Γιώργος · Zażółć " * 60)[:size]
        assert read_codes(open_image(make_png(payload))) == [payload.encode()]
