"""Scanned codes from a photo, an image file or a camera frame.

The decoding itself is protocol.qr.image (zbar in binary mode, so UTF-8 names such as
'Gdańsk' survive); this module does the file I/O and turns every failure into a
`ScanEvent` error a person can read, like the serial reader does.
"""

from __future__ import annotations

from pathlib import Path

from agent.scanner.framing import ScanEvent
from protocol.qr import image as qr_image
from protocol.qr.base import QrFormatError


def _events(codes: list[bytes]) -> list[ScanEvent]:
    if not codes:
        return [ScanEvent(error="no QR code found in the picture: hold the code flat, "
                                "fill more of the frame, and avoid glare")]
    events = []
    for data in codes:
        try:
            events.append(ScanEvent(code=qr_image.payload_text(data), raw=data))
        except QrFormatError as exc:
            events.append(ScanEvent(error=str(exc), raw=data[:64]))
    return events


def decode_image_bytes(data: bytes) -> list[ScanEvent]:
    """Every code in an encoded image (PNG, JPEG, …)."""
    try:
        return _events(qr_image.read_codes(qr_image.open_image(data)))
    except qr_image.ImageDecodeError as exc:
        return [ScanEvent(error=str(exc))]


def decode_image_file(path: str | Path) -> list[ScanEvent]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return [ScanEvent(error=f"cannot read the picture {path}: {exc.strerror}")]
    return decode_image_bytes(data)


def decode_frame(pixels: bytes, width: int, height: int) -> list[ScanEvent]:
    """Every code in an 8-bit greyscale camera frame."""
    try:
        return _events(qr_image.read_codes((pixels, width, height)))
    except qr_image.ImageDecodeError as exc:
        return [ScanEvent(error=str(exc))]
