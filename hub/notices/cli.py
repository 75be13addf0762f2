"""`counterpay hub notices …`: payers' notices in bulk.

    counterpay hub notices export --config hub.toml --out notices.zip
        (--order ID ... | --unpaid [--office CODE] [--due-before DATE])

Each command is its own module and is added to the group below; the orders a command
works on come from hub/notices/selection.py, so every command selects them alike.
Exit codes: 0 done, 2 a usage or configuration error (the message names the option).
"""

from __future__ import annotations

import click

from hub.notices.export_cli import export


@click.group()
def notices() -> None:
    """Notices to payers in bulk, for the orders a selection names (--order ID or --unpaid)."""


# The notices commands, one line each: add new ones (send, status, ...) below this line.
notices.add_command(export)

COMMANDS = (notices,)
