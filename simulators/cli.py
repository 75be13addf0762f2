"""`counterpay sim …`: mounts each simulator's own command."""

from __future__ import annotations

import click

from counterpay.lazy import LazyGroup

SIMULATORS = {
    "terminal": ("simulators.terminal.cli:terminal", "A ZVT or Concert card terminal on a serial port, pty or TCP."),
    "scanner": ("simulators.scanner.cli:scanner", "A serial QR scanner on a pty or serial port."),
    "case-system": ("simulators.case_system.cli:case_system", "A case system receiving signed webhooks."),
    "fleet": ("simulators.fleet.cli:fleet", "Many enrolled agents sending payments to a hub."),
}


@click.group(cls=LazyGroup, lazy_commands=SIMULATORS)
def sim() -> None:
    """Simulators of card terminals, scanners, case systems and agent fleets."""
