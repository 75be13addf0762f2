"""Entry point of the `counterpay` command.

Exit codes, everywhere: 0 success, 1 the answer is "no" (a code is invalid, a
terminal declined, a check failed), 2 a usage or environment error.
"""

from __future__ import annotations

import click

from counterpay import __version__
from counterpay.lazy import LazyGroup

COMMANDS = {
    "qr": ("counterpay.commands.qr:qr", "Parse, make and decode payment QR codes."),
    "remittance": ("counterpay.commands.remittance:remittance", "Read what a bank statement line pays."),
    "keys": ("counterpay.commands.keys:keys", "Signing keys and key directories."),
    "receipt": ("counterpay.commands.receipt:receipt", "Verify a receipt or order code offline."),
    "demo": ("counterpay.commands.demo:demo", "Run broker, hub, simulators and an agent together."),
    "terminal": ("agent.terminal.cli:terminal", "Check and drive a card terminal (technicians)."),
    "agent": ("agent.cli:agent", "Run, enroll and inspect the counter agent."),
    "hub": ("hub.cli:hub", "Set up and run the hub."),
    "sim": ("simulators.cli:sim", "Simulators of terminals, scanners, case systems, fleets."),
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="counterpay")
def cli() -> None:
    """counterpay: card and cash payments at public-office counters, linked to their cases."""


def main() -> None:
    cli(prog_name="counterpay")


if __name__ == "__main__":
    main()
