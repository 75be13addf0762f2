"""Ask the operator to read the terminal when its answer never arrived (Concert has no enquiry).

The hint comes from the agent core (what to look for on the terminal's display or its
last slip).  The dialog returns True (charged), False (not charged) or None (later).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from agent.ui.i18n import translate_bindings


class OperatorCheckScreen(ModalScreen[bool | None]):
    DEFAULT_CSS = """
    OperatorCheckScreen { align: center middle; }
    OperatorCheckScreen > Vertical {
        width: 78; height: 22;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    OperatorCheckScreen #check-title { text-style: bold; color: $warning; }
    OperatorCheckScreen VerticalScroll { height: 1fr; padding: 0 0 1 0; }
    OperatorCheckScreen Horizontal { height: auto; }
    """
    BINDINGS = [
        Binding("c", "answer(True)", "keys.charged"),
        Binding("n", "answer(False)", "keys.not_charged"),
        Binding("escape", "answer(None)", "keys.later"),
    ]

    def __init__(self, message: str, hint: str | None) -> None:
        super().__init__()
        translate_bindings(self, self.app.t)
        self.message = message
        self.hint = hint

    def compose(self) -> ComposeResult:
        t = self.app.t
        with Vertical():
            yield Static(t("check.title"), id="check-title")
            # The core's hint can be long (what to look for, which menu): it scrolls.
            with VerticalScroll():
                yield Static(self.message, id="check-message")
                yield Static(self.hint or t("check.default_hint"), id="check-hint")
            with Horizontal():
                yield Button(t("check.charged"), id="charged", variant="success")
                yield Button(t("check.not_charged"), id="not-charged", variant="error")
            yield Static(t("check.keys"), classes="hint")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "charged")

    def action_answer(self, charged: bool | None) -> None:
        self.dismiss(charged)
