"""A notice's page as drawing operations, in points from the top-left corner of an A4 sheet.

Layouts (hub/notices/layouts/) place text, rules, shaded boxes and QR codes here; the PDF
and PNG writers draw the same operations, so both say exactly the same thing.  `Page` also
measures and wraps text with the face the writers will embed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.notices.typeface import Face

A4 = (595.28, 841.89)       # width, height in points
MARGIN = 42.0               # 15 mm


@dataclass(frozen=True)
class Text:
    x: float
    y: float                # the baseline
    text: str
    size: float
    bold: bool = False


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    grey: float = 0.93      # fill, 0 black .. 1 white; a box is a shaded band behind text


@dataclass(frozen=True)
class Rule:
    x: float
    y: float
    width: float
    thickness: float = 0.6


@dataclass(frozen=True)
class Code:
    """A QR code: its modules (rows of dark True / light False, quiet zone included) in a square."""
    x: float
    y: float
    size: float
    modules: tuple[tuple[bool, ...], ...]


@dataclass
class Page:
    face: Face
    operations: list = field(default_factory=list)

    def text(self, x: float, y: float, text: str, size: float, *, bold: bool = False) -> None:
        if text:
            self.operations.append(Text(x, y, text, size, bold))

    def right(self, x_end: float, y: float, text: str, size: float, *, bold: bool = False) -> None:
        self.text(x_end - self.face.width(text, size), y, text, size, bold=bold)

    def box(self, x: float, y: float, width: float, height: float, grey: float = 0.93) -> None:
        self.operations.append(Box(x, y, width, height, grey))

    def rule(self, x: float, y: float, width: float, thickness: float = 0.6) -> None:
        self.operations.append(Rule(x, y, width, thickness))

    def code(self, x: float, y: float, size: float, modules: tuple[tuple[bool, ...], ...]) -> None:
        self.operations.append(Code(x, y, size, modules))

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        """`text` in lines no wider than `width` (its own line breaks kept; a too-long word is cut)."""
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            line = ""
            for word in paragraph.split():
                candidate = f"{line} {word}" if line else word
                if self.face.width(candidate, size) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                while self.face.width(word, size) > width and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and self.face.width(word[:cut], size) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
        return lines

    def paragraph(self, x: float, y: float, text: str, width: float, size: float, *, leading: float = 1.3,
                  bold: bool = False) -> float:
        """Set wrapped text from baseline `y`; returns the baseline after its last line."""
        for line in self.wrap(text, width, size):
            self.text(x, y, line, size, bold=bold)
            y += size * leading
        return y
