"""Did a keyboard-mode ("wedge") scanner mistype the code?  And what to tell the operator.

A USB scanner in keyboard mode sends key presses as if the PC had a US layout; the PC
types them through *its* layout.  On Polish, German, Italian, French or Greek layouts
`|` (the separator of pagoPA and ZBP codes) arrives as `<`, `§`, `ü`, `'`, `\\` …, Y and
Z swap on QWERTZ, a Greek layout turns Latin letters into Greek ones, and letters with
diacritics come out as other letters.  Serial (USB-CDC) mode sends the bytes as they
are, so the cure is always the same: switch the scanner to serial mode.

`analyse_wedge(text)` tries the repairs a layout mix-up explains and reports the one
that turns the input into a code counterpay recognises.  It never changes a payment
on its own: the UI shows the finding and asks for a rescan in serial mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

# What `|` turns into, and the layouts that do it (scanner sends US Shift+backslash
# or the ISO key next to left Shift; the PC's layout decides the character).
SEPARATOR_STANDINS: dict[str, str] = {
    "<": "German, Polish QWERTZ or Nordic",
    ">": "German, Polish QWERTZ or Nordic",
    "§": "Italian",
    "ù": "Italian",
    "ü": "German or Swiss (QWERTZ)",
    "Ü": "German or Swiss (QWERTZ)",
    "'": "German (QWERTZ)",
    "#": "German (QWERTZ)",
    "*": "French (AZERTY)",
    "µ": "French (AZERTY)",
    "~": "UK English",
    "\\": "US, with the Shift key lost (the scanner types too fast for the PC)",
}

# The Greek layout puts Greek letters on the Latin keys (ELOT 1 / Windows Greek).
_GREEK_TO_LATIN = dict(zip(
    "ςερτυθιοπασδφγηξκλζχψωβνμ;ΣΕΡΤΥΘΙΟΠΑΣΔΦΓΗΞΚΛΖΧΨΩΒΝΜ",
    "wertyuiopasdfghjklzxcvbnmqSERTYUIOPASDFGHJKLZXCVBNM", strict=True))

_YZ_SWAP = str.maketrans("yzYZ", "zyZY")

SERIAL_MODE_ADVICE = (
    "Switch the scanner to serial mode: scan the 'USB COM port (USB-CDC)' setup code in its "
    "manual, set the agent's scanner port (e.g. /dev/ttyACM0, terminator CR), restart the agent.")


@dataclass
class WedgeReport:
    """What the analysis found in one keyboard-mode scan."""
    text: str
    suspect: bool = False
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repaired: str | None = None
    layout_hint: str | None = None

    @property
    def advice(self) -> str | None:
        return SERIAL_MODE_ADVICE if (self.suspect or self.warnings) else None


def default_recognise(payload: str) -> int:
    """How well protocol.qr knows a payload: 0 not at all, 1 its structure, 2 valid.

    Check digits matter: Y/Z swapped inside an RF reference or an IBAN keeps the
    structure but breaks the check, and only the right repair makes it valid again.
    """
    from protocol import qr
    try:
        result = qr.parse(payload)
    except Exception:   # a parser bug must not take the analysis down
        return 0
    if result.format == "unknown" or not result.structure_ok:
        return 0
    return 2 if result.checks_ok is not False else 1


def _claims_format(text: str) -> str | None:
    """Cheap structural guesses that survive a mistyped separator."""
    upper = text.upper()
    if upper.startswith("PAGOPA") or upper.startswith("ΠΑΓΟΠΑ"):
        return "pagopa"
    if len(text) > 13 and text[:10].isdigit() and text[11:13].upper() == "PL":
        return "zbp"
    if upper.startswith("BCD"):
        return "epc"
    return None


def _separator_candidates(text: str) -> list[tuple[str, str]]:
    """(stand-in, repaired text) pairs, most likely first."""
    claimed = _claims_format(text)
    candidates = []
    if claimed == "pagopa" and len(text) > 6 and text[6] in SEPARATOR_STANDINS:
        candidates.append(text[6])
    if claimed == "zbp" and text[10] in SEPARATOR_STANDINS:
        candidates.append(text[10])
    for ch in SEPARATOR_STANDINS:
        if ch in text and ch not in candidates and "|" not in text:
            candidates.append(ch)
    return [(ch, text.replace(ch, "|")) for ch in candidates]


def analyse_wedge(text: str, recognise: Callable[[str], int] | None = None) -> WedgeReport:
    """Look for layout damage in text a keyboard-mode scanner typed.

    `recognise` scores a payload (0 unknown, 1 structure only, 2 valid; a bool works
    too); a repair is reported only when it scores higher than the text as typed.
    """
    recognise = recognise or default_recognise
    report = WedgeReport(text=text)
    if not text:
        return report
    non_ascii = sorted({ch for ch in text if ord(ch) > 0x7e})
    score = int(recognise(text))
    if score >= 2:
        if non_ascii:
            report.warnings.append(
                "the code holds letters with diacritics (" + " ".join(non_ascii) + "); keyboard mode "
                "often types them wrong: compare the name with the printed document")
        return report

    attempts: list[tuple[str, str, str | None]] = []   # (repaired, problem, layout)
    greek = any(ch in _GREEK_TO_LATIN for ch in text if ord(ch) > 0x7e)
    base = "".join(_GREEK_TO_LATIN.get(ch, ch) for ch in text) if greek else text
    if greek:
        attempts.append((base, "Latin letters arrived as Greek letters", "Greek"))
    for standin, repaired in _separator_candidates(base):
        layout = SEPARATOR_STANDINS[standin]
        problem = f"the separator '|' arrived as '{standin}'"
        attempts.append((repaired, problem, layout))
        attempts.append((repaired.translate(_YZ_SWAP), problem + ", and Y and Z are swapped",
                         "German or Polish QWERTZ"))
    attempts.append((base.translate(_YZ_SWAP), "Y and Z are swapped", "German or Polish QWERTZ"))

    for repaired, problem, layout in attempts:
        if repaired != text and int(recognise(repaired)) > score:
            report.suspect = True
            report.problems.append(problem)
            if greek and "Greek" not in problem:
                report.problems.insert(0, "Latin letters arrived as Greek letters")
            report.repaired = repaired
            report.layout_hint = layout
            report.warnings.append("names may also have Y/Z or diacritics swapped: "
                                   "compare them with the printed document")
            return report

    # Nothing repaired it, but the damage is still plain to see.
    claimed = _claims_format(base)
    if claimed == "epc" and "\n" not in text:
        report.suspect = True
        report.problems.append("an EPC (BCD) code has line breaks, which keyboard mode turns "
                               "into Enter: only the first line arrived")
    elif claimed in ("pagopa", "zbp") and "|" not in base:
        standins = [c for c in SEPARATOR_STANDINS if c in base]
        report.suspect = True
        report.problems.append("a " + ("pagoPA" if claimed == "pagopa" else "ZBP") +
                               " code without its '|' separators" +
                               (f" ('|' probably arrived as '{standins[0]}')" if standins else ""))
        report.layout_hint = SEPARATOR_STANDINS[standins[0]] if standins else None
    elif greek:
        report.suspect = True
        report.problems.append("Latin letters arrived as Greek letters")
        report.layout_hint = "Greek"
    if non_ascii and not greek:
        report.warnings.append("letters with diacritics (" + " ".join(non_ascii) + ") in a "
                               "keyboard-mode scan are often swapped by the keyboard layout")
    return report
