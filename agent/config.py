"""The agent's TOML configuration, checked on load; every error names file, key and expectation.

    [agent]
    id = "riga-desk-01"            # also the certificate CN and broker user name
    office = "Riga 1"
    data_dir = "/var/lib/counterpay"   # agent.db lives here
    key_dir = "/etc/counterpay/keys"   # signing_key.pem, client.pem/key, ca.pem (from `enroll`)
    currency = "EUR"
    tenders = ["card", "cash"]

    [hub]
    broker = "mqtts://hub.example:8883"   # or mqtt://127.0.0.1:1883; default: what enroll stored
    api = "https://hub.example"           # optional: case lookup
    window = 100                          # outbox rows in flight
    ack_timeout_s = 30

    [outbox]
    cap = 10000

    [terminal]                            # optional; no section = no card tender
    protocol = "zvt"                      # zvt | concert
    device = "/dev/ttyUSB0"               # or tcp://host:port
    timeout_s = 120

    [printer]
    kind = "file"                         # none | file | serial | network
    path = "/tmp/receipts.bin"            # file
    device = "/dev/ttyS0"; baudrate = 19200   # serial
    host = "10.0.0.9"; port = 9100        # network
    columns = 42                          # 42 | 48
    png_dir = "/var/lib/counterpay/receipts"  # optional PNG copies

    [ui]
    language = "en"                       # a catalogue in agent/ui/locales (en, pl, it, el, lv)
    idle_reset_s = 90                     # kiosk: back to the start after this many idle seconds
    scanner = "/dev/ttyACM0"              # optional serial QR scanner (USB-CDC); --scanner overrides
    scanner_terminator = "CR"             # CR | LF | CRLF | TAB | NONE

    [desk]
    login = true                          # clerk, cashier, technician: an operator logs in first
    idle_logout_s = 300                   # back to the login screen after this many idle seconds
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocol.domain import Tender
from protocol.wire.topics import AGENT_ID_RE

MODES = ("clerk", "cashier", "kiosk", "technician")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file, the key and what is expected."""


@dataclass
class TerminalConfig:
    protocol: str
    device: str
    timeout_s: int = 120
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class PrinterConfig:
    kind: str = "none"
    path: str | None = None
    device: str | None = None
    baudrate: int = 19200
    host: str | None = None
    port: int = 9100
    columns: int = 42
    png_dir: str | None = None


@dataclass
class AgentConfig:
    agent_id: str
    office: str
    data_dir: Path
    key_dir: Path
    currency: str = "EUR"
    tenders: list[str] = field(default_factory=lambda: list(Tender))
    mode: str = "clerk"
    broker: str | None = None
    hub_api: str | None = None
    window: int = 100
    ack_timeout_s: float = 30.0
    outbox_cap: int = 10_000
    terminal: TerminalConfig | None = None
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    ui: UiConfig = field(default_factory=lambda: UiConfig())
    desk: "DeskConfig" = field(default_factory=lambda: DeskConfig())
    source: str = "<memory>"

    @property
    def login_required(self) -> bool:
        """Must an operator log in before working here?  Kiosks serve the public: never."""
        return self.desk.login and self.mode != "kiosk"

    @property
    def store_path(self) -> Path:
        return self.data_dir / "agent.db"


@dataclass
class UiConfig:
    language: str = "en"
    idle_reset_s: int = 90
    scanner: str | None = None
    scanner_terminator: str = "CR"


@dataclass
class DeskConfig:
    login: bool = True
    idle_logout_s: int = 300


TERMINATORS = ("CR", "LF", "CRLF", "TAB", "NONE")


class _Reader:
    def __init__(self, source: str, data: dict):
        self.source = source
        self.data = data

    def fail(self, key: str, expected: str, got: Any = ...) -> None:
        tail = "" if got is ... else f", got {got!r}"
        raise ConfigError(f"{self.source}: [{key.rpartition('.')[0] or key}] {key.rpartition('.')[2]}: "
                          f"expected {expected}{tail}")

    def section(self, name: str, required: bool = False) -> dict | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise ConfigError(f"{self.source}: section [{name}] is missing")
            return None
        if not isinstance(value, dict):
            raise ConfigError(f"{self.source}: {name} must be a [section], got {type(value).__name__}")
        return value

    def get(self, section: dict, name: str, key: str, kind: type | tuple, expected: str,
            default: Any = ..., required: bool = False) -> Any:
        if key not in section:
            if required or default is ...:
                raise ConfigError(f"{self.source}: [{name}] {key} is missing: expected {expected}")
            return default
        value = section[key]
        if isinstance(value, bool) and kind is not bool:
            self.fail(f"{name}.{key}", expected, value)
        if not isinstance(value, kind):
            self.fail(f"{name}.{key}", expected, value)
        return value


def load(path: str | os.PathLike, mode: str | None = None) -> AgentConfig:
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the configuration file: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text; save the configuration as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return from_dict(data, source=source, base=Path(path).resolve().parent, mode=mode)


def from_dict(data: dict, *, source: str = "<memory>", base: Path | None = None,
              mode: str | None = None) -> AgentConfig:
    r = _Reader(source, data)
    base = base or Path.cwd()
    agent = r.section("agent", required=True)
    agent_id = r.get(agent, "agent", "id", str, "an agent id (lower-case letters, digits, '.', '_', '-')",
                     required=True)
    if not AGENT_ID_RE.match(agent_id):
        r.fail("agent.id", "1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
               agent_id)
    office = r.get(agent, "agent", "office", str, "the office name printed on receipts", required=True)

    def path_of(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    data_dir = path_of(r.get(agent, "agent", "data_dir", str, "a folder for agent.db", required=True))
    key_dir = path_of(r.get(agent, "agent", "key_dir", str, "the folder `counterpay agent enroll` wrote",
                            default=str(data_dir / "keys")))
    currency = r.get(agent, "agent", "currency", str, "a 3-letter ISO 4217 code like 'EUR'", default="EUR")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        r.fail("agent.currency", "a 3-letter upper-case ISO 4217 code like 'EUR'", currency)
    tenders = r.get(agent, "agent", "tenders", list, "a list of 'card' and/or 'cash'", default=list(Tender))
    if not tenders or any(t not in tuple(Tender) for t in tenders):
        r.fail("agent.tenders", "a non-empty list of 'card' and/or 'cash'", tenders)
    chosen_mode = mode or r.get(agent, "agent", "mode", str, f"one of {', '.join(MODES)}", default="clerk")
    if chosen_mode not in MODES:
        r.fail("agent.mode", f"one of {', '.join(MODES)}", chosen_mode)

    hub = r.section("hub") or {}
    broker = r.get(hub, "hub", "broker", str, "mqtt://HOST:PORT or mqtts://HOST:PORT", default=None)
    if broker is not None and not broker.startswith(("mqtt://", "mqtts://")):
        r.fail("hub.broker", "mqtt://HOST:PORT or mqtts://HOST:PORT", broker)
    hub_api = r.get(hub, "hub", "api", str, "the hub's https:// base URL", default=None)
    window = r.get(hub, "hub", "window", int, "an integer 1-1000 (outbox rows in flight)", default=100)
    if not 1 <= window <= 1000:
        r.fail("hub.window", "an integer 1-1000", window)
    ack_timeout = r.get(hub, "hub", "ack_timeout_s", (int, float), "seconds > 0", default=30)
    if ack_timeout <= 0:
        r.fail("hub.ack_timeout_s", "seconds > 0", ack_timeout)

    outbox = r.section("outbox") or {}
    cap = r.get(outbox, "outbox", "cap", int, "a positive integer (undelivered rows before refusing)",
                default=10_000)
    if cap < 1:
        r.fail("outbox.cap", "a positive integer", cap)

    terminal = None
    term = r.section("terminal")
    if term is not None:
        protocol = r.get(term, "terminal", "protocol", str, "'zvt' or 'concert'", required=True)
        if protocol not in ("zvt", "concert"):
            r.fail("terminal.protocol", "'zvt' or 'concert'", protocol)
        device = r.get(term, "terminal", "device", str, "a serial device path or tcp://HOST:PORT", required=True)
        timeout = r.get(term, "terminal", "timeout_s", int, "seconds (an integer)", default=120)
        options = {k: v for k, v in term.items() if k not in ("protocol", "device", "timeout_s")}
        terminal = TerminalConfig(protocol, device, timeout, options)

    printer = PrinterConfig()
    prn = r.section("printer")
    if prn is not None:
        kind = r.get(prn, "printer", "kind", str, "none, file, serial or network", default="none")
        if kind not in ("none", "file", "serial", "network"):
            r.fail("printer.kind", "none, file, serial or network", kind)
        columns = r.get(prn, "printer", "columns", int, "42 or 48", default=42)
        if columns not in (42, 48):
            r.fail("printer.columns", "42 or 48", columns)
        printer = PrinterConfig(
            kind=kind, columns=columns,
            path=r.get(prn, "printer", "path", str, "a file path", default=None),
            device=r.get(prn, "printer", "device", str, "a serial device path", default=None),
            baudrate=r.get(prn, "printer", "baudrate", int, "a baud rate like 19200", default=19200),
            host=r.get(prn, "printer", "host", str, "a host name or IP", default=None),
            port=r.get(prn, "printer", "port", int, "a TCP port (9100)", default=9100),
            png_dir=r.get(prn, "printer", "png_dir", str, "a folder for PNG copies", default=None))
        needed = {"file": "path", "serial": "device", "network": "host"}.get(kind)
        if needed and getattr(printer, needed) is None:
            raise ConfigError(f"{source}: [printer] {needed} is missing: kind = {kind!r} needs it")
        if printer.path:
            printer.path = str(path_of(printer.path))
        if printer.png_dir:
            printer.png_dir = str(path_of(printer.png_dir))

    ui = UiConfig()
    section = r.section("ui")
    if section is not None:
        ui = UiConfig(
            language=r.get(section, "ui", "language", str, "a language code such as en, pl, it, el or lv",
                           default="en"),
            idle_reset_s=r.get(section, "ui", "idle_reset_s", int, "seconds (an integer)", default=90),
            scanner=r.get(section, "ui", "scanner", str, "a serial device path", default=None),
            scanner_terminator=r.get(section, "ui", "scanner_terminator", str, " | ".join(TERMINATORS),
                                     default="CR"))
        if ui.idle_reset_s < 10:
            r.fail("ui.idle_reset_s", "at least 10 seconds", ui.idle_reset_s)
        if ui.scanner_terminator not in TERMINATORS:
            r.fail("ui.scanner_terminator", " | ".join(TERMINATORS), ui.scanner_terminator)
        if len(ui.language) not in (2, 3) or not ui.language.isalpha() or not ui.language.islower():
            r.fail("ui.language", "a language code such as en, pl, it, el or lv", ui.language)

    desk = DeskConfig()
    section = r.section("desk")
    if section is not None:
        desk = DeskConfig(login=r.get(section, "desk", "login", bool, "true or false", default=True),
                          idle_logout_s=r.get(section, "desk", "idle_logout_s", int, "seconds (an integer)",
                                              default=300))
        if desk.idle_logout_s < 30:
            r.fail("desk.idle_logout_s", "at least 30 seconds", desk.idle_logout_s)

    return AgentConfig(agent_id=agent_id, office=office, data_dir=data_dir, key_dir=key_dir, currency=currency,
                       tenders=list(tenders), mode=chosen_mode, broker=broker, hub_api=hub_api, window=window,
                       ack_timeout_s=float(ack_timeout), outbox_cap=cap, terminal=terminal, printer=printer,
                       ui=ui, desk=desk, source=source)
