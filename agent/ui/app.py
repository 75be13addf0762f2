"""The counter agent's Textual app: one screen for the configured mode, status always visible.

    run(service, "cashier", scanner=SerialScanner("/dev/ttyACM0"))

The app subscribes to the service's status (called from any thread; forwarded as a
`StatusChanged` message), starts the serial scanner if one is given and forwards its
codes to the screen, and owns the translation catalogue.

Where the service says a login is required (clerk, cashier, technician with `[desk]
login` on), the login screen comes first and the mode's screen only after it; F12
logs out, and so do `idle_logout_s` seconds without a key or a click, and the core
ending the session (the hub's roster no longer lists the operator): each returns to
the login screen, with a note saying why.  Kiosks serve the public: no login.
"""

from __future__ import annotations

from typing import Any

import time

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.reactive import var
from textual import work

from protocol.domain import JournalState

from agent.ui.i18n import Catalogue
from agent.ui.messages import ScanReceived, StatusChanged
from agent.ui.service_view import CounterService

MODES = ("clerk", "cashier", "kiosk", "technician")
DEFAULT_IDLE_RESET_S = 90.0
DEFAULT_IDLE_LOGOUT_S = 300.0


def _screen_for(mode: str):
    # Imported here so that starting one mode does not load the others' widgets.
    if mode == "clerk":
        from agent.ui.screens.clerk import ClerkScreen as screen
    elif mode == "cashier":
        from agent.ui.screens.cashier import CashierScreen as screen
    elif mode == "kiosk":
        from agent.ui.screens.kiosk import KioskScreen as screen
    elif mode == "technician":
        from agent.ui.screens.technician import TechnicianScreen as screen
    else:
        raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    return screen


class CounterpayApp(App):
    """The agent UI over `service` (an agent.service.AgentService, or anything with its face)."""

    CSS_PATH = "app.tcss"
    TITLE = "counterpay"
    BINDINGS = [
        Binding("ctrl+q", "leave", "Quit", show=False, priority=True),
        Binding("ctrl+c", "leave", "Quit", show=False, priority=True),
        Binding("ctrl+o", "open_checks", "Open checks", show=False),
        Binding("f12", "logout", "Log out", show=False),
    ]

    # A var, not a reactive: a reactive on the App repaints the whole screen on every
    # status change (several a second while the outbox drains); the status bar, which
    # watches it, repaints its own line.
    agent_status: var[Any] = var(None, always_update=True)

    def __init__(self, service: CounterService, mode: str, *, scanner: Any = None, language: str = "en",
                 idle_reset_s: float = DEFAULT_IDLE_RESET_S, currency: str = "EUR",
                 idle_logout_s: float = DEFAULT_IDLE_LOGOUT_S) -> None:
        self.screen_class = _screen_for(mode)
        # Kiosk users are the public: no command palette (read by App.__init__), no way out.
        self.ENABLE_COMMAND_PALETTE = mode != "kiosk"
        super().__init__()
        self.service: CounterService = service
        self.mode = mode
        self.scanner = scanner
        self.idle_reset_s = idle_reset_s
        self.currency = currency
        self.default_language = language
        self.catalogue = Catalogue(language)
        self.idle_logout_s = idle_logout_s
        self.login_required = mode != "kiosk" and bool(getattr(service, "login_required", False))
        self.working = False             # the mode's screen is up (after a login, where one is required)
        self.last_input = time.monotonic()

    def t(self, key: str, **values: object) -> str:
        return self.catalogue.t(key, **values)

    def set_language(self, language: str) -> None:
        self.catalogue = Catalogue(language)

    def on_mount(self) -> None:
        self.service.subscribe(self._status_from_any_thread)
        self.refresh_status()
        if self.scanner is not None:
            self.scanner.start(self._scan_from_any_thread)
        if self.login_required:
            self.set_interval(1.0, self._check_idle)
            self._show_login("")
        else:
            self._start_work()

    def _start_work(self) -> None:
        self.working = True
        self.last_input = time.monotonic()
        self.push_screen(self.screen_class())
        if self.mode != "kiosk":
            # Left over from before a crash or a "decide later": ask before new work.
            self.action_open_checks()

    # -- the operator's login -----------------------------------------------------------

    def _show_login(self, note: str) -> None:
        from agent.ui.screens.login import LoginScreen
        self.working = False
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(LoginScreen(note), lambda username: self._start_work())

    def action_logout(self) -> None:
        if not self.login_required or not self.working:
            return
        self.service.logout()
        self._show_login(self.t("operators.note.logged_out"))

    async def on_event(self, event: events.Event) -> None:
        # Every key and click reaches the app first: what the idle logout counts from.
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        status = self.agent_status
        if status is not None and status.terminal_state == "busy":
            # A card payment waits on the terminal, not on the keyboard: not idle.
            self.last_input = time.monotonic()
            return
        if self.working and time.monotonic() - self.last_input >= self.idle_logout_s:
            self.service.logout()
            self._show_login(self.t("operators.note.idle", minutes=max(1, round(self.idle_logout_s / 60))))

    def on_unmount(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()

    # -- from other threads: only post_message, which is thread-safe ----------------

    def _status_from_any_thread(self, status: Any) -> None:
        self.post_message(StatusChanged(status))

    def _scan_from_any_thread(self, event: Any) -> None:
        self.post_message(ScanReceived(event.code, event.error, "serial"))

    # -- handlers ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="status")
    def refresh_status(self) -> None:
        try:
            status = self.service.status()
        except Exception as exc:   # the status bar must never take the app down
            self.log.error(f"status() failed: {exc}")
            return
        self.post_message(StatusChanged(status))

    def on_status_changed(self, message: StatusChanged) -> None:
        self.agent_status = message.status
        if self.login_required and self.working and getattr(message.status, "operator", "") is None:
            # The core ended the session (the hub's roster no longer lists the operator).
            self._show_login(self.t("operators.note.ended"))

    def on_scan_received(self, message: ScanReceived) -> None:
        handler = getattr(self.screen, "handle_scan", None)
        if handler is not None:
            handler(message.code, message.error, message.source)

    # -- voids and refunds ---------------------------------------------------------------

    def action_void(self) -> None:
        """F7 in clerk and cashier mode: void or refund a card payment (a supervisor approves)."""
        from agent.ui.screens.void import VoidScreen
        if self.working and self.mode in ("clerk", "cashier") and not isinstance(self.screen, VoidScreen):
            self.push_screen(VoidScreen())

    # -- operator checks still open in the journal -------------------------------------

    @work(thread=True, exclusive=True, group="open-checks")
    def action_open_checks(self) -> None:
        if self.mode == "kiosk":               # staff only: never the public
            return
        try:
            waiting = [p for p in self.service.open_payments() if p.get("state") == JournalState.OPERATOR_CHECK]
        except Exception as exc:
            self.log.error(f"open_payments() failed: {exc}")
            return
        if waiting:
            self.call_from_thread(self._ask_open_check, waiting)

    def _ask_open_check(self, waiting: list[dict]) -> None:
        from agent.ui.format import money
        from agent.ui.screens.operator_check import OperatorCheckScreen

        entry, rest = waiting[0], waiting[1:]
        message = self.t("check.open_entry", amount=money(entry.get("amount_minor"), entry.get("currency")),
                         at=entry.get("created_at") or "—",
                         reference=(entry.get("reference") or {}).get("value") or entry.get("case_ref") or "—")

        def answered(charged: bool | None) -> None:
            if charged is not None:
                self._resolve_open_check(entry["payment_id"], charged)
            if rest:
                self._ask_open_check(rest)

        self.push_screen(OperatorCheckScreen(message, entry.get("operator_hint")), answered)

    @work(thread=True, group="open-checks-resolve")
    def _resolve_open_check(self, payment_id: str, charged: bool) -> None:
        status = self.agent_status
        operator = f"{self.mode}@{status.agent_id if status else 'agent'}"
        try:
            outcome = self.service.resolve_operator_check(payment_id, charged, operator)
        except Exception as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.call_from_thread(self.notify, self.t(f"outcome.{outcome.outcome}") + ": " + outcome.message,
                              timeout=10)

    def action_leave(self) -> None:
        if self.mode == "kiosk":
            return
        self.exit()


def run(service: CounterService, mode: str, **options: Any) -> None:
    """Run the UI for `mode` until the operator quits (options: scanner, language, idle_reset_s, currency,
    idle_logout_s)."""
    CounterpayApp(service, mode, **options).run()
