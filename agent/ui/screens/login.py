"""The desk's login: user name and PIN (or desk password), checked by the core offline.

Shown before the mode's screen in clerk, cashier and technician mode when `[desk]
login` is on, and again after a logout (F12), after `[desk] idle_logout_s` without a
key, or when the hub's roster no longer lists the operator.  The check runs in a
worker thread (Argon2 takes tens of milliseconds); the screen says why a login was
refused: wrong name or PIN (with the tries left before a lock-out), locked (for how
long), a role that does not work in this mode, or no roster heard from the hub yet.
The secret field is cleared after every try.  Dismissed with the operator's username.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from agent.ui.i18n import translate_bindings
from agent.ui.widgets.status_bar import StatusBar


class LoginScreen(Screen[str]):
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical {
        width: 64; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    LoginScreen #login-title { text-style: bold; padding: 0 0 1 0; }
    LoginScreen .label { padding: 1 0 0 0; }
    LoginScreen #login-message { color: $error; text-style: bold; padding: 1 0 0 0; height: auto; }
    LoginScreen #login-note { color: $warning; height: auto; }
    LoginScreen .hint { color: $text-muted; padding: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "clear", "keys.operators_clear")]
    AUTO_FOCUS = "#login-username"

    def __init__(self, note: str = "") -> None:
        super().__init__()
        translate_bindings(self, self.app.t)
        self.note = note

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield StatusBar()
        with Vertical():
            yield Static(t("operators.login.title", mode=t(f"operators.mode.{self.app.mode}")), id="login-title")
            yield Static(self.note, id="login-note")
            yield Static(t("operators.login.username"), classes="label")
            yield Input(id="login-username", max_length=64)
            yield Static(t("operators.login.secret"), classes="label")
            yield Input(id="login-secret", password=True, max_length=256)
            yield Static("", id="login-message")
            yield Static(t("operators.login.keys"), classes="hint")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        username = self.query_one("#login-username", Input)
        if event.input.id == "login-username":
            self.query_one("#login-secret", Input).focus()
            return
        secret = self.query_one("#login-secret", Input)
        if not username.value.strip():
            username.focus()
            return
        typed, secret.value = secret.value, ""
        self._say(self.app.t("operators.login.checking"))
        self._check(username.value, typed)

    def action_clear(self) -> None:
        self.query_one("#login-username", Input).value = ""
        self.query_one("#login-secret", Input).value = ""
        self._say("")
        self.query_one("#login-username", Input).focus()

    def _say(self, text: str) -> None:
        self.query_one("#login-message", Static).update(text)

    @work(thread=True, exclusive=True, group="login")
    def _check(self, username: str, secret: str) -> None:
        try:
            outcome = self.app.service.login(username, secret)
        except Exception as exc:       # the desk's store may be away: say so, stay on this screen
            self.app.call_from_thread(self._say, str(exc))
            return
        self.app.call_from_thread(self._answered, outcome)

    def _answered(self, outcome) -> None:
        if outcome.operator is not None:
            self.dismiss(outcome.operator.username)
            return
        t = self.app.t
        if outcome.refused == "locked":
            self._say(t("operators.refused.locked", minutes=max(1, (outcome.wait_s + 59) // 60)))
        elif outcome.refused == "wrong":
            self._say(t("operators.refused.wrong", tries=outcome.tries_left or 0))
        else:
            self._say(t(f"operators.refused.{outcome.refused}"))
        self.query_one("#login-secret", Input).focus()
