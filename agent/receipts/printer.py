"""Put a laid-out receipt on paper (ESC/POS via python-escpos) and/or into a PNG.

ESC/POS targets: a file or device node (`File`, also what the tests read back), a
serial printer (`Serial`) or a network printer on port 9100 (`Network`).  The QR is
sent as a native ESC/POS QR command so the printer renders it at full resolution.
The text goes through python-escpos's code page selection (ESC t), which switches to a
page holding each letter: Greek to CP737, Latvian and Polish letters to CP775, so a receipt in
the desk's language prints as written.  The PNG (pillow + segno) is the preview and the e-mail
copy, drawn in DejaVu Sans Mono (shipped in fonts/), which has every letter of the five languages.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from agent.config import PrinterConfig
from agent.receipts.layout import ReceiptData, layout

FONT = Path(__file__).parent / "fonts" / "DejaVuSansMono.ttf"
FONT_SIZE = 14


class PrinterError(RuntimeError):
    """The receipt could not be printed; the payment itself is committed and safe."""


class ReceiptPrinter:
    def __init__(self, config: PrinterConfig):
        self.config = config

    @property
    def columns(self) -> int:
        return self.config.columns

    def print(self, data: ReceiptData) -> list[str]:
        """Print (and keep a PNG copy if configured); returns the text lines."""
        lines = layout(data, self.columns)
        if self.config.kind != "none":
            self._escpos(lines, data.qr_payload)
        if self.config.png_dir:
            folder = Path(self.config.png_dir)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                suffix = "-copy" if data.copy else ""
                render_png(lines, data.qr_payload, folder / f"{data.receipt_id}{suffix}.png")
            except OSError as exc:
                raise PrinterError(f"cannot write the receipt image in {folder}: {exc}") from None
        return lines

    def escpos_bytes(self, lines: list[str], qr_payload: str | None) -> bytes:
        """The ESC/POS byte stream of one receipt (text, native QR, cut)."""
        from escpos.printer import Dummy
        job = Dummy()
        job.text("\n".join(lines) + "\n")
        if qr_payload:
            job.set(align="center")
            job.qr(qr_payload, size=4, native=True)
            job.set(align="left")
        job.cut()
        return job.output

    def _escpos(self, lines: list[str], qr_payload: str | None) -> None:
        c = self.config
        where = c.path or c.device or f"{c.host}:{c.port}"
        try:
            data = self.escpos_bytes(lines, qr_payload)
            if c.kind == "file":
                # Append, not escpos.File's truncating "wb": a receipt roll file (or a
                # /dev/usb/lp0 node) keeps every receipt in order.
                with open(c.path, "ab") as fh:
                    fh.write(data)
                    fh.flush()
                return
            from escpos import printer as escpos_printer
            device = (escpos_printer.Serial(devfile=c.device, baudrate=c.baudrate) if c.kind == "serial"
                      else escpos_printer.Network(host=c.host, port=c.port, timeout=10))
            try:
                device.open()
                device._raw(data)
            finally:
                device.close()
        except Exception as exc:  # escpos raises its own and OS errors; the clerk needs one sentence
            reason = " ".join(str(exc).split())     # escpos messages carry line breaks
            raise PrinterError(f"the receipt printer ({c.kind} {where}) failed: {reason}; "
                               "the payment is recorded, use reprint when the printer is back") from None


def render_png(lines: list[str], qr_payload: str | None, target: Path | io.BytesIO | None = None) -> Image.Image:
    """A receipt image: monospace text above the QR; saved to `target` if given."""
    font = ImageFont.truetype(str(FONT), FONT_SIZE)
    char_w = max(round(font.getlength("M")), 6)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent + 2
    width = max(len(line) for line in lines) * char_w + 32 if lines else 300
    qr_img = None
    if qr_payload:
        buffer = io.BytesIO()
        segno.make(qr_payload, error="m").save(buffer, kind="png", scale=3, border=2)
        buffer.seek(0)
        qr_img = Image.open(buffer).convert("L")
        width = max(width, qr_img.width + 32)
    height = 16 + len(lines) * line_h + (qr_img.height + 16 if qr_img else 0)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((16, 8 + index * line_h), line, fill=0, font=font)
    if qr_img:
        image.paste(qr_img, ((width - qr_img.width) // 2, 16 + len(lines) * line_h))
    if target is not None:
        image.save(target, format="PNG")
    return image
