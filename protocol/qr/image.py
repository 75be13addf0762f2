"""QR images: make PNG/SVG with segno, read images and camera frames with zbar in binary mode.

Why binary mode: zbar (under pyzbar) otherwise guesses the character set of the
bytes in a QR code and converts them to UTF-8 itself; short UTF-8 text is guessed
wrong ('Gdańsk' comes back as 'Gdaﾅуk', 'Città' as 'CittÃ\xa0').  With zbar's
ZBAR_CFG_BINARY the symbol data is the raw bytes of the code, and we decode them
per format: an EPC code by its own charset line, everything else as UTF-8.
pyzbar does not expose that setting, so `read_codes` drives the same libzbar
functions pyzbar wraps and switches binary mode on.

When making codes, segno gets bytes, never str: given text that fits ISO 8859-1,
segno would encode it as 8859-1 (legal QR, but not the UTF-8 a reader expects).

Pure: images go in as PIL images or bytes, results come out as bytes or QrResults.
"""

from __future__ import annotations

import io
from ctypes import c_void_p, cast, string_at
from typing import Any

import segno
from PIL import Image
from pyzbar import wrapper as zbar

from protocol.qr import epc, masking
from protocol.qr import parse as parse_payload
from protocol.qr.base import QrFormatError, QrResult, unknown

ZBAR_CFG_BINARY = 4  # zbar.h (0.23.1+): ENABLE 0, ADD_CHECK 1, EMIT_CHECK 2, ASCII 3, BINARY 4
_FOURCC_Y800 = 0x30303859  # 'Y800': 8-bit greyscale
ERROR_LEVEL = "m"  # EPC069-12 requires M; M suits printed notices generally


class ImageDecodeError(RuntimeError):
    """The image could not be scanned (not a picture, or zbar lacks binary mode)."""


# -- making --------------------------------------------------------------------------

def payload_bytes(payload: str) -> bytes:
    """The bytes that go into the QR: EPC in its declared charset, anything else UTF-8."""
    if epc.detect(payload):
        return epc.encode(payload)
    try:
        return payload.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QrFormatError(f"the payload has a character that is not text: {exc}") from None


def make_qr(payload: str) -> segno.QRCode:
    # EPC fixes the error correction level at M; other codes may use a higher level
    # for free when it fits the same symbol size.  The symbol is segno's, its mask chosen
    # faster (protocol/qr/masking.py).
    return masking.make(payload_bytes(payload), error=ERROR_LEVEL, boost_error=not epc.detect(payload))


def make_png(payload: str, scale: int = 6, border: int = 4) -> bytes:
    out = io.BytesIO()
    make_qr(payload).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def make_svg(payload: str, scale: int = 6, border: int = 4) -> bytes:
    out = io.BytesIO()
    make_qr(payload).save(out, kind="svg", scale=scale, border=border, xmldecl=True)
    return out.getvalue()


# -- reading -------------------------------------------------------------------------

def open_image(data: bytes) -> Image.Image:
    """A PIL image from encoded image bytes (PNG, JPEG, ...)."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except Exception as exc:  # PIL raises many types for bad input; all mean the same here
        raise ImageDecodeError(f"not an image Pillow can read: {exc}") from None


def read_codes(image: Image.Image | tuple[bytes, int, int]) -> list[bytes]:
    """Raw bytes of every QR code in an image or a greyscale frame (pixels, width, height)."""
    if isinstance(image, Image.Image):
        grey = image if image.mode == "L" else image.convert("L")
        pixels, (width, height) = grey.tobytes(), grey.size
    else:
        pixels, width, height = image
        if width <= 0 or height <= 0 or len(pixels) != width * height:
            raise ImageDecodeError("a frame must be 8-bit greyscale pixels of width × height bytes")
    scanner = zbar.zbar_image_scanner_create()
    if not scanner:
        raise ImageDecodeError("zbar could not create an image scanner")
    try:
        zbar.zbar_image_scanner_set_config(scanner, 0, zbar.ZBarConfig.CFG_ENABLE, 0)
        zbar.zbar_image_scanner_set_config(scanner, zbar.ZBarSymbol.QRCODE, zbar.ZBarConfig.CFG_ENABLE, 1)
        if zbar.zbar_image_scanner_set_config(scanner, zbar.ZBarSymbol.QRCODE, ZBAR_CFG_BINARY, 1) != 0:
            raise ImageDecodeError("this libzbar has no binary mode (needs zbar 0.23.1 or later); "
                                   "it would garble non-ASCII text")
        zimage = zbar.zbar_image_create()
        if not zimage:
            raise ImageDecodeError("zbar could not create an image")
        try:
            zbar.zbar_image_set_format(zimage, _FOURCC_Y800)
            zbar.zbar_image_set_size(zimage, width, height)
            zbar.zbar_image_set_data(zimage, cast(pixels, c_void_p), len(pixels), None)
            if zbar.zbar_scan_image(scanner, zimage) < 0:
                raise ImageDecodeError("zbar could not scan the image")
            found = []
            symbol = zbar.zbar_image_first_symbol(zimage)
            while symbol:
                found.append(string_at(zbar.zbar_symbol_get_data(symbol),
                                       zbar.zbar_symbol_get_data_length(symbol)))
                symbol = zbar.zbar_symbol_next(symbol)
            return found
        finally:
            zbar.zbar_image_destroy(zimage)
    finally:
        zbar.zbar_image_scanner_destroy(scanner)


def payload_text(data: bytes) -> str:
    """Text of a code's bytes: EPC by its charset line, everything else strict UTF-8."""
    if data[:4] in (b"BCD\n", b"BCD\r"):
        return epc.decode(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QrFormatError(f"the code's bytes are not UTF-8 text (byte {data[exc.start]:#04x} "
                            f"at position {exc.start})") from None


def parse_bytes(data: bytes, keys: Any = None, now: Any = None) -> QrResult:
    try:
        text = payload_text(data)
    except QrFormatError as exc:
        return unknown([str(exc)])
    return parse_payload(text, keys=keys, now=now)


def decode(image: Image.Image | tuple[bytes, int, int], keys: Any = None, now: Any = None) -> list[QrResult]:
    """One QrResult per QR code found in the image (an empty list when there is none)."""
    return [parse_bytes(data, keys=keys, now=now) for data in read_codes(image)]
