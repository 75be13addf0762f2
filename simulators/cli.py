"""`counterpay sim …`: mounts each simulator's own command."""

from __future__ import annotations

import click

from counterpay.lazy import LazyGroup

SIMULATORS = {
    "terminal": "simulators.terminal.cli:terminal",
    "scanner": "simulators.scanner.cli:scanner",
    "case-system": "simulators.case_system.cli:case_system",
    "fleet": "simulators.fleet.cli:fleet",
}


@click.group(cls=LazyGroup, lazy_commands=SIMULATORS)
def sim() -> None:
    """Simulators of card terminals, scanners, case systems and agent fleets."""
