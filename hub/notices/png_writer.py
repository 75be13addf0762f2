"""A notice page (hub/notices/page.py) as a greyscale PNG, drawn by Pillow with the same font.

Two pixels a point (144 dpi): readable on a screen and sharp enough to print.  QR modules
are snapped to whole pixels, each module's edges rounded from the same grid, so a code has
no blurred or uneven modules and scans as printed.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from hub.notices.page import A4, Box, Code, Page, Rule, Text
from hub.notices.typeface import REGULAR

SCALE = 2.0     # pixels per point


@lru_cache(maxsize=32)
def _font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(REGULAR), pixels)


def write_png(page: Page) -> bytes:
    width, height = round(A4[0] * SCALE), round(A4[1] * SCALE)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for op in page.operations:
        if isinstance(op, Text):
            draw.text((op.x * SCALE, op.y * SCALE), op.text, fill=0, font=_font(round(op.size * SCALE)),
                      anchor="ls", stroke_width=1 if op.bold else 0, stroke_fill=0)
        elif isinstance(op, Box):
            draw.rectangle(_px(op.x, op.y, op.width, op.height), fill=round(op.grey * 255))
        elif isinstance(op, Rule):
            draw.rectangle(_px(op.x, op.y, op.width, max(op.thickness, 0.5)), fill=0)
        elif isinstance(op, Code):
            _code(draw, op)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)   # level 3: a quarter of level 9's time, 10% larger
    return out.getvalue()


def _px(x: float, y: float, width: float, height: float) -> tuple[int, int, int, int]:
    return (round(x * SCALE), round(y * SCALE), round((x + width) * SCALE) - 1, round((y + height) * SCALE) - 1)


def _code(draw: ImageDraw.ImageDraw, code: Code) -> None:
    count = len(code.modules)
    module = max(1, int(code.size * SCALE / count))     # whole pixels per module
    left, top = round(code.x * SCALE), round(code.y * SCALE)
    left += (round(code.size * SCALE) - module * count) // 2
    top += (round(code.size * SCALE) - module * count) // 2
    for row, modules in enumerate(code.modules):
        column = 0
        while column < count:
            if modules[column]:
                start = column
                while column < count and modules[column]:
                    column += 1
                draw.rectangle((left + start * module, top + row * module,
                                left + column * module - 1, top + (row + 1) * module - 1), fill=0)
            else:
                column += 1
