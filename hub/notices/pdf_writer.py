"""A notice page (hub/notices/page.py) as a PDF 1.4 file: one A4 page, one embedded font.

Why not fpdf2: it parses and subsets the TrueType font for every document, some 100 ms a
notice, and bulk exports and mailings render thousands.  A notice needs little of PDF: text
in one font, filled rectangles and lines.  The font is embedded as a CIDFontType2 with
Identity-H encoding (text is written as 2-byte glyph ids), a width array and a ToUnicode
map for the glyphs used, so text is searchable and `pdftotext` reads it back exactly.
QR codes are drawn as rectangles, one per run of dark modules: sharp at any zoom or print
resolution, nothing to decode.  ISO 32000-1 §9.7 (composite fonts), §9.10 (ToUnicode).
"""

from __future__ import annotations

import re
import zlib

from hub.notices.page import A4, Box, Code, Page, Rule, Text
from hub.notices.typeface import Face

_DARK_RUN = re.compile(rb"\x01+")   # a row's dark modules (True is byte 1) side by side: one rectangle
FAUX_BOLD = 0.035   # the outline of a heading's letters, per 1 of the size (text render mode 2)


def write_pdf(page: Page, title: str = "") -> bytes:
    face = page.face
    height = A4[1]
    used: dict[int, str] = {}
    content: list[str] = []
    for op in page.operations:
        if isinstance(op, Text):
            glyphs = []
            for char in op.text:
                gid = face.glyph(char)
                used.setdefault(gid, char)
                glyphs.append(f"{gid:04X}")
            mode = f"2 Tr {op.size * FAUX_BOLD:.2f} w" if op.bold else "0 Tr"
            content.append(f"BT /F1 {op.size:.2f} Tf {mode} {op.x:.2f} {height - op.y:.2f} Td <{''.join(glyphs)}> Tj ET")
        elif isinstance(op, Box):
            content.append(f"{op.grey:.2f} g {op.x:.2f} {height - op.y - op.height:.2f} {op.width:.2f} "
                           f"{op.height:.2f} re f 0 g")
        elif isinstance(op, Rule):
            content.append(f"{op.x:.2f} {height - op.y - op.thickness:.2f} {op.width:.2f} {op.thickness:.2f} re f")
        elif isinstance(op, Code):
            content.append(_code(op, height))
    stream = zlib.compress("\n".join(content).encode("ascii"), 6)
    return _document(face, used, stream, title)


def _code(code: Code, height: float) -> str:
    module = code.size / len(code.modules)
    rects = []
    for row, modules in enumerate(code.modules):
        y = height - code.y - (row + 1) * module
        for run in _DARK_RUN.finditer(bytes(modules)):
            start, end = run.span()
            rects.append(f"{code.x + start * module:.3f} {y:.3f} {(end - start) * module:.3f} {module:.3f} re")
    return "0 g " + " ".join(rects) + " f" if rects else ""


def _pdf_text(value: str) -> str:
    """A PDF text string: UTF-16BE with its byte-order mark, as hex."""
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


def _document(face: Face, used: dict[int, str], content: bytes, title: str) -> bytes:
    gids = sorted(used)
    widths = " ".join(f"{gid} [{face.widths.get(gid, 0)}]" for gid in gids)
    # gid 0 (.notdef: a letter the font lacks) maps to nothing: a reader shows no false letter.
    entries = [f"<{gid:04X}> <{used[gid].encode('utf-16-be').hex().upper()}>" for gid in gids if gid]
    blocks = "".join(f"{len(entries[i:i + 100])} beginbfchar\n" + "\n".join(entries[i:i + 100]) + "\nendbfchar\n"
                     for i in range(0, len(entries), 100))     # at most 100 entries a block (§9.10.3)
    to_unicode = zlib.compress((
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + blocks
        + "endcmap CMapName currentdict /CMap defineresource pop end end").encode("ascii"), 6)
    bbox = " ".join(str(v) for v in face.bbox)
    name = f"/CPNTCE+{face.name}"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4[0]:.2f} {A4[1]:.2f}] "
        f"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".encode(),
        _stream(content),
        f"<< /Type /Font /Subtype /Type0 /BaseFont {name} /Encoding /Identity-H /DescendantFonts [6 0 R] "
        f"/ToUnicode 9 0 R >>".encode(),
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {name} "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R "
        f"/DW {face.widths.get(0, 600)} /W [{widths}] /CIDToGIDMap /Identity >>".encode(),
        f"<< /Type /FontDescriptor /FontName {name} /Flags 32 /FontBBox [{bbox}] /ItalicAngle 0 "
        f"/Ascent {face.ascent} /Descent {face.descent} /CapHeight {face.cap_height} /StemV 80 "
        f"/FontFile2 8 0 R >>".encode(),
        _stream(face.program, f"/Length1 {face.program_length}"),
        _stream(to_unicode),
        f"<< /Title {_pdf_text(title)} /Producer (counterpay) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} /Filter /FlateDecode {extra}>>\nstream\n".encode() + data + b"\nendstream"
