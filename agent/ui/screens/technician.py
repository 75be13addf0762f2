"""Technician mode: what is plugged in and whether each part works.

Tabs (F1–F5): status (broker, TLS, certificate expiry, clock skew, outbox depth and
oldest age, from service.diagnostics()), serial ports (list_ports and /dev/pts),
terminal check, scanner test (serial or typed; shows the bytes, the wedge analysis
and the verdict), and the recent log.  F9 runs the diagnostics again.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Static, TabbedContent, TabPane

from agent.scanner.image import decode_image_file
from agent.ui.i18n import translate_bindings
from agent.scanner.ports import list_serial_ports
from agent.ui.format import age
from agent.ui.widgets.payment.verdict import verdict_text
from agent.ui.widgets.scan.scan_input import ScanInput, WedgeWarning
from agent.ui.widgets.status_bar import StatusBar

LOG_KEYS = ("log", "log_tail", "recent_log")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
# What a technician looks at first; everything else follows in the core's order.
FIRST = ("broker", "online", "connected_since", "tls", "cert_expires", "cert_days_left", "cert_subject",
         "clock_skew_s", "outbox_depth", "outbox_oldest_age_s", "outbox_cap", "last_ack_at", "last_error")


def _rank(key: str) -> int:
    top = key.split(".")[0].split("[")[0]
    return FIRST.index(top) if top in FIRST else len(FIRST)


def flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested diagnostics as (dotted key, text) rows; lists of scalars joined."""
    rows: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if prefix == "" and key in LOG_KEYS:
                continue
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, (list, tuple)) and data and all(isinstance(v, dict) for v in data):
        for i, value in enumerate(data):
            rows += flatten(value, f"{prefix}[{i}]")
    elif isinstance(data, (list, tuple)):
        rows.append((prefix, ", ".join(str(v) for v in data) or "—"))
    else:
        rows.append((prefix, "—" if data is None else str(data)))
    return rows


class TechnicianScreen(Screen):
    CSS_PATH = "technician.tcss"
    BINDINGS = [
        Binding("f1", "tab('status')", "keys.status"),
        Binding("f2", "tab('ports')", "keys.ports"),
        Binding("f3", "tab('terminal')", "keys.terminal"),
        Binding("f4", "tab('scanner')", "keys.scanner"),
        Binding("f5", "tab('log')", "keys.log"),
        Binding("f9", "refresh", "keys.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self, self.app.t)

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield StatusBar()
        with TabbedContent(initial="status", id="tabs"):
            with TabPane(t("tech.tab_status"), id="status"):
                yield Static("", id="summary")
                yield DataTable(id="diag-table", show_header=False)
            with TabPane(t("tech.tab_ports"), id="ports"):
                yield DataTable(id="port-table")
                yield Static(t("tech.pts_hint"), classes="hint")
            with TabPane(t("tech.tab_terminal"), id="terminal"):
                yield Static("", id="terminal-state")
                yield Button(t("tech.terminal_check"), id="terminal-check")
                yield DataTable(id="terminal-table", show_header=False)
            with TabPane(t("tech.tab_scanner"), id="scanner"):
                yield Static(t("tech.scanner_hint"), classes="hint")
                yield ScanInput(placeholder=t("tech.scanner_placeholder"), id="scan-input")
                yield Static("", id="scan-raw")
                yield WedgeWarning(id="wedge")
                yield Static("", id="scan-verdict")
            with TabPane(t("tech.tab_log"), id="log"):
                with VerticalScroll():
                    yield Static("", id="log-lines")
        yield Footer()

    def on_mount(self) -> None:
        t = self.app.t
        self.query_one("#diag-table", DataTable).add_columns("key", "value")
        self.query_one("#terminal-table", DataTable).add_columns("key", "value")
        self.query_one("#port-table", DataTable).add_columns(t("tech.col_device"), t("tech.col_kind"),
                                                             t("tech.col_description"))
        self.query_one("#wedge", WedgeWarning).display = False
        self.action_refresh()
        self._load_ports()

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        if tab == "scanner":
            self.query_one("#scan-input", ScanInput).focus()

    def action_refresh(self) -> None:
        self.query_one("#summary", Static).update(self.app.t("tech.loading"))
        self._load_diagnostics()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "terminal-check":
            event.stop()
            self.query_one("#terminal-state", Static).update(self.app.t("tech.checking"))
            self._check_terminal()

    @work(thread=True, exclusive=True, group="terminal-check")
    def _check_terminal(self) -> None:
        try:
            result = self.app.service.check_terminal()
        except Exception as exc:  # noqa: BLE001 - a technician must see any failure, the UI stays up
            result = {"ok": False, "message": str(exc)}
        self.app.call_from_thread(self._show_terminal_check, result)

    def _show_terminal_check(self, result: dict) -> None:
        t = self.app.t
        verdict = t("tech.terminal_ok" if result.get("ok") else "tech.terminal_failed", message=result.get("message", ""))
        self.query_one("#terminal-state", Static).update(Text(verdict, "bold green" if result.get("ok") else "bold red"))
        table = self.query_one("#terminal-table", DataTable)
        table.clear()
        for key in ("protocol", "device", "terminal_id", "busy", "last_receipt_no"):
            if result.get(key) is not None:
                table.add_row(f"terminal.{key}", str(result[key]))

    # -- diagnostics ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="diagnostics")
    def _load_diagnostics(self) -> None:
        service = self.app.service
        try:
            diagnostics, status, error = service.diagnostics(), service.status(), None
        except Exception as exc:
            diagnostics, status, error = {}, None, str(exc)
        self.app.call_from_thread(self._show_diagnostics, diagnostics, status, error)

    def _show_diagnostics(self, diagnostics: dict, status: Any, error: str | None) -> None:
        t = self.app.t
        summary = Text()
        if error:
            summary.append(t("tech.diagnostics_failed", error=error), "bold red")
        elif status is not None:
            summary.append(t("tech.summary", online=t("status.online" if status.online else "status.offline"),
                             depth=status.outbox_depth, cap=status.outbox_cap,
                             oldest=age(status.oldest_age_s)))
            if status.last_error:
                summary.append("\n" + t("tech.last_error", error=status.last_error), "red")
        self.query_one("#summary", Static).update(summary)
        table = self.query_one("#diag-table", DataTable)
        table.clear()
        terminal_rows = []
        for key, value in sorted(flatten(diagnostics), key=lambda row: _rank(row[0])):
            if key.startswith("terminal"):
                terminal_rows.append((key, value))
            elif not key.startswith("ports"):
                table.add_row(key, value)
        terminal_table = self.query_one("#terminal-table", DataTable)
        terminal_table.clear()
        for key, value in terminal_rows:
            terminal_table.add_row(key, value)
        if status is not None:
            self.query_one("#terminal-state", Static).update(t(
                "tech.terminal_state", state=t(f"terminal.{status.terminal_state}"),
                protocol=status.terminal_protocol or "—"))
        log = next((diagnostics[k] for k in LOG_KEYS if k in diagnostics), [])
        self.query_one("#log-lines", Static).update(
            Text("\n".join(map(str, log)) if isinstance(log, (list, tuple)) else str(log)))

    @work(thread=True, exclusive=True, group="ports")
    def _load_ports(self) -> None:
        ports = list_serial_ports()
        self.app.call_from_thread(self._show_ports, ports)

    def _show_ports(self, ports: list) -> None:
        table = self.query_one("#port-table", DataTable)
        table.clear()
        for port in ports:
            table.add_row(port.device, port.kind, port.description)
        if not ports:
            table.add_row(self.app.t("tech.no_ports"), "", "")

    # -- scanner test -----------------------------------------------------------------

    def handle_scan(self, code: str | None, error: str | None, source: str) -> None:
        self.action_tab("scanner")
        self.query_one("#wedge", WedgeWarning).show(None)
        raw = self.query_one("#scan-raw", Static)
        if error is not None:
            raw.update(Text(self.app.t("tech.scan_error", source=source, error=error), "bold red"))
            self.query_one("#scan-verdict", Static).update("")
            return
        raw.update(Text(self.app.t("tech.scan_raw", source=source, chars=len(code), raw=repr(code))))
        self._check(code)

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        if message.code.lower().endswith(IMAGE_SUFFIXES):
            # A photo of a notice (or a camera snapshot): decode it like the camera path does.
            self.query_one("#wedge", WedgeWarning).show(None)
            self._decode_picture(message.code.strip())
            return
        self.query_one("#scan-raw", Static).update(Text(self.app.t(
            "tech.scan_raw", source=self.app.t("tech.keyboard"), chars=len(message.code), raw=repr(message.code))))
        self.query_one("#wedge", WedgeWarning).show(message.report)
        self._check(message.code)

    @work(thread=True, exclusive=True, group="picture")
    def _decode_picture(self, path: str) -> None:
        events = decode_image_file(path)
        for event in events[:1]:
            self.app.call_from_thread(self.handle_scan, event.code, event.error, self.app.t("tech.picture"))

    @work(thread=True, exclusive=True, group="check")
    def _check(self, code: str) -> None:
        try:
            verdict, error = self.app.service.check_code(code), None
        except Exception as exc:
            verdict, error = None, str(exc)
        self.app.call_from_thread(self._show_verdict, verdict, error)

    def _show_verdict(self, verdict: Any, error: str | None) -> None:
        target = self.query_one("#scan-verdict", Static)
        target.update(verdict_text(verdict, self.app.t) if verdict is not None else Text(error or "", "red"))
