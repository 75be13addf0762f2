"""Entry point of the `counterpay` command.

Exit codes, everywhere: 0 success, 1 the answer is "no" (a code is invalid, a
terminal declined, a check failed), 2 a usage or environment error.
"""

from __future__ import annotations

import click

from counterpay import __version__
from counterpay.lazy import LazyGroup

COMMANDS = {
    "qr": "counterpay.commands.qr:qr",
    "keys": "counterpay.commands.keys:keys",
    "receipt": "counterpay.commands.receipt:receipt",
    "demo": "counterpay.commands.demo:demo",
    "terminal": "agent.terminal.cli:terminal",
    "agent": "agent.cli:agent",
    "hub": "hub.cli:hub",
    "sim": "simulators.cli:sim",
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
