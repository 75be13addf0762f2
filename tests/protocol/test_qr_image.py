"""QR images: Polish, Greek, Latvian and Italian text survive make → PNG → decode exactly.

zbar's default path guesses character sets and garbles short UTF-8; the test
`test_naive_zbar_garbles_short_utf8` documents that trap so nobody "simplifies"
read_codes back to plain pyzbar.decode.
"""

from __future__ import annotations

import random

import pytest
from PIL import Image
from pyzbar import pyzbar

from protocol.qr import epc, pagopa, rf, zbp
from protocol.qr.image import (decode, make_png, make_qr, make_svg, open_image, parse_bytes, payload_bytes,
                               read_codes, ImageDecodeError)

TEXTS = {"polish": "Gdańsk Łódź", "greek": "Αθήνα", "latvian": "Rīga Ķegums", "italian": "Città Perù"}
ACCOUNT = "61109010140000071219812874"


def _roundtrip(payload: str):
    results = decode(open_image(make_png(payload)))
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_text_survives_png_in_a_zbp_code(language):
    # ZBP names have at most 20 characters; every sample fits
    text = TEXTS[language]
    result = _roundtrip(zbp.make(ACCOUNT, text, f"{text[:5]} 1/2024", 12345))
    assert result.valid and result.fields["name"] == text


@pytest.mark.parametrize("language, charset", [("polish", 1), ("polish", 3), ("greek", 1), ("greek", 6),
                                               ("latvian", 1), ("latvian", 4), ("latvian", 7),
                                               ("italian", 1), ("italian", 2), ("italian", 8)])
def test_text_survives_png_in_an_epc_code_in_its_declared_charset(language, charset):
    text = TEXTS[language]
    payload = epc.make(text, "LV80BANK0000435195001", 999, text=f"{text} nr. 7", info=text, charset=charset)
    assert payload_bytes(payload) == payload.encode(epc.CHARSETS[charset])
    result = _roundtrip(payload)
    assert result.valid, result.errors
    assert (result.fields["name"], result.fields["text"], result.fields["info"]) == (text, f"{text} nr. 7", text)


def test_pagopa_and_rf_survive_png():
    pay = pagopa.make("001340000013900808", "00311260095", 5000)
    assert _roundtrip(pay).fields["notice_number"] == "001340000013900808"
    assert _roundtrip(rf.make("539007547034")).fields["reference"] == "RF18539007547034"


@pytest.mark.parametrize("text", ["Gdańsk", "Città Perù", "Αθήνα", "Rīga Ķegums"])
def test_naive_zbar_garbles_short_utf8(text):
    image = open_image(make_png(text))
    naive = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])[0].data
    assert naive != text.encode("utf-8")  # the trap: zbar's charset guess mangles these
    assert read_codes(image) == [text.encode("utf-8")]  # binary mode: the exact bytes


def test_a_camera_frame_with_one_code_and_a_frame_without():
    code = open_image(make_png(zbp.make(ACCOUNT, "Łódź", "Opłata", 100), scale=3)).convert("L")
    rng = random.Random(7)
    frame = Image.new("L", (640, 480), 200)
    frame.putdata([rng.randrange(150, 256) for _ in range(640 * 480)])  # uneven light, paper texture
    frame.paste(code.rotate(90, expand=True), (300, 120))
    results = decode((frame.tobytes(), 640, 480))
    assert len(results) == 1 and results[0].fields["name"] == "Łódź"
    assert decode(Image.new("L", (640, 480), 255)) == []


def test_two_codes_in_one_image():
    a = open_image(make_png(rf.make("A1"), scale=4))
    b = open_image(make_png(rf.make("B2"), scale=4))
    sheet = Image.new("RGB", (a.width + b.width + 40, max(a.height, b.height)), "white")
    sheet.paste(a, (0, 0))
    sheet.paste(b, (a.width + 40, 0))
    refs = sorted(r.fields["reference"] for r in decode(sheet))
    assert refs == sorted([rf.make("A1"), rf.make("B2")])


def test_epc_codes_use_level_m_and_svg_is_made():
    assert make_qr(epc.make("Red Cross", "BE72000000001616", 100)).error == "M"
    svg = make_svg("RF18539007547034")
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<path" in svg


def test_bad_image_bytes_and_bad_frames_are_clear_errors():
    with pytest.raises(ImageDecodeError, match="not an image"):
        open_image(b"definitely not a PNG")
    with pytest.raises(ImageDecodeError, match="greyscale"):
        read_codes((b"\x00" * 10, 640, 480))


def test_non_utf8_bytes_become_an_unknown_result_that_says_why():
    result = parse_bytes(b"\xff\xfe caf\xe9")
    assert result.format == "unknown" and "not UTF-8" in result.errors[0]
