"""Open a driver by protocol name: the one place that knows which driver speaks what.

    driver = open_driver("zvt", "/dev/ttyUSB0", journal)
    driver = open_driver("concert", "/dev/ttyACM0", journal, line=CONCERT_USB_LINE)

Drivers are imported when first opened, so a check of one protocol loads only its own code.
Every driver class has the constructor `Driver(link, journal, on_progress=None, **options)`.
Options understood here: `line` (LineSettings, overriding the protocol's default);
the rest goes to the driver.
"""

from __future__ import annotations

import importlib

from agent.terminal.base import ProgressCallback, TerminalDriver, TerminalError, TerminalJournal
from agent.terminal.link import CONCERT_USB_LINE, ZVT_LINE, LineSettings, open_link

DRIVERS = {
    "zvt": ("agent.terminal.zvt_driver:ZvtDriver", ZVT_LINE),
    "concert": ("agent.terminal.concert_driver:ConcertDriver", CONCERT_USB_LINE),
}


def default_line(protocol: str) -> LineSettings:
    return _entry(protocol)[1]


def _entry(protocol: str) -> tuple[str, LineSettings]:
    try:
        return DRIVERS[protocol.lower()]
    except KeyError:
        raise TerminalError(
            f"unknown terminal protocol {protocol!r}: use one of {', '.join(DRIVERS)}") from None


def driver_class(protocol: str) -> type[TerminalDriver]:
    target, _ = _entry(protocol)
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def open_driver(protocol: str, device: str, journal: TerminalJournal,
                on_progress: ProgressCallback | None = None, *,
                line: LineSettings | None = None, **options) -> TerminalDriver:
    """Open `device` (serial path or tcp://HOST:PORT) and wrap it in the protocol's driver."""
    cls = driver_class(protocol)
    link = open_link(device, line or default_line(protocol))
    try:
        return cls(link, journal, on_progress=on_progress, **options)
    except BaseException:
        link.close()
        raise
