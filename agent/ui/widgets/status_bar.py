"""The bar every mode shows on top: online/offline, outbox depth, terminal state, the operator."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self._shown: Text | None = None
        self.watch(self.app, "agent_status", self.show_status)

    def show_status(self, status: Any) -> None:
        t = self.app.t
        text = Text()
        if status is None:
            text.append(t("status.starting"), "dim")
            self._show(text)
            return
        if status.online:
            text.append("● " + t("status.online"), "bold green")
        else:
            text.append("● " + t("status.offline"), "bold red")
        text.append("  │  ")
        depth_style = "bold red" if status.outbox_depth >= status.outbox_cap else ""
        text.append(t("status.outbox", depth=status.outbox_depth), depth_style)
        text.append("  │  ")
        state = status.terminal_state
        style = {"ready": "green", "busy": "yellow", "offline": "red",
                 "unknown outcome": "bold red"}.get(state, "")
        text.append(t("status.terminal", state=t(f"terminal.{state}")), style)
        operator = getattr(status, "operator", None)
        if operator:
            # Before the desk's name: on 80 columns the end of the line is what gets cut.
            text.append("  │  ")
            text.append(self.app.t("operators.status", operator=operator), "bold")
        if self.app.mode != "kiosk":
            text.append("  │  ")
            text.append(f"{status.agent_id} · {status.office}", "dim")
        self._show(text)

    def _show(self, text: Text) -> None:
        # A draining outbox changes the depth several times a second: repaint this one
        # line only (docked, one row high, so its size never changes) and only when the
        # text differs; a layout pass would repaint the whole screen under the operator.
        if text == self._shown:
            return
        self._shown = text
        self.update(text, layout=False)
