"""An input line for scans: takes typed or keyboard-wedge codes, and flags layout damage.

On Enter it posts `ScanInput.Scanned(code, report)` where `report` is the wedge
analysis (agent.scanner.wedge); serial scans do not pass through here (the app
forwards them as ScanReceived) because their bytes need no analysis.
"""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Input, Static

from agent.scanner.wedge import WedgeReport, analyse_wedge


class ScanInput(Input):

    class Scanned(Message):
        def __init__(self, code: str, report: WedgeReport) -> None:
            super().__init__()
            self.code = code
            self.report = report

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        code = event.value.strip("\r\n")
        if not code.strip():
            return
        self.value = ""
        self.post_message(self.Scanned(code, analyse_wedge(code)))


class WedgeWarning(Static):
    """What a keyboard-mode scan got wrong, and how to switch the scanner to serial mode."""

    DEFAULT_CSS = """
    WedgeWarning { height: auto; padding: 0 1; color: $warning; }
    """

    def show(self, report: WedgeReport | None) -> None:
        if report is None or not (report.suspect or report.warnings):
            self.update("")
            self.display = False
            return
        t = self.app.t
        lines = []
        if report.suspect:
            lines.append("⚠ " + t("wedge.suspect") + (f" ({report.layout_hint})" if report.layout_hint else ""))
        lines += ["  • " + p for p in report.problems + report.warnings]
        if report.repaired:
            lines.append(t("wedge.repaired", code=report.repaired))
        lines.append(report.advice or "")
        self.update("\n".join(lines))
        self.display = True
