"""`counterpay hub notices …`: payers' notices in bulk.

    counterpay hub notices export --config hub.toml --out notices.zip
        (--order ID ... | --unpaid [--office CODE] [--due-before DATE])
    counterpay hub notices send --config hub.toml (the same selection) [--dry-run]
    counterpay hub notices status --config hub.toml [--json]

Each command is its own module and is added to the group below; the orders a command
works on come from hub/notices/selection.py, so every command selects them alike.
Exit codes: 0 done, 2 a usage or configuration error (the message names the option).
"""

from __future__ import annotations

import click

from hub.mail.cli import COMMANDS as MAIL_COMMANDS
from hub.notices.export_cli import export


@click.group()
def notices() -> None:
    """Notices to payers in bulk: exported as a zip, or mailed (SMTP or PEC), for the orders a selection names."""


# The notices commands, one line each: add new ones (send, status, ...) below this line.
notices.add_command(export)
for command in MAIL_COMMANDS:       # send, status (hub/mail/cli.py)
    notices.add_command(command)

COMMANDS = (notices,)
