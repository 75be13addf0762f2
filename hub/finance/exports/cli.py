"""`counterpay hub export payments|entries|flows|anomalies`: an export to accounting, to a file or stdout.

    counterpay hub export payments --config hub.toml --from 2026-03-01 --to 2026-03-31
        [--office CODE] [--account IBAN] [--tender T] [--channel C] [--status S]
        [--date-by payment|booking] --format csv|xlsx|json [--out FILE]

Without --out the export goes to standard output (CSV and JSON; an XLSX workbook needs
--out).  Each export is written to the audit log as actor ``cli:<os user>``.
Exit codes: 0 written, 2 usage or configuration error (the message names the option).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from hub.finance.exports.columns import KINDS
from hub.finance.exports.filters import CHANNELS, DATE_BY, FORMATS, STATUSES, TENDERS, ExportRefused, ExportRequest

_ALL_STATUSES = tuple(dict.fromkeys(s for kind in KINDS for s in STATUSES[kind]))


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.option("--from", "date_from", required=True, metavar="DATE", help="first day of the period, YYYY-MM-DD")
@click.option("--to", "date_to", required=True, metavar="DATE", help="last day of the period (included), YYYY-MM-DD")
@click.option("--date-by", type=click.Choice(DATE_BY), default="payment", show_default=True,
              help="the period reads the payment date or the booking date on the bank statement")
@click.option("--office", default=None, metavar="CODE", help="one office only")
@click.option("--account", default=None, metavar="IBAN", help="one bank account only")
@click.option("--tender", type=click.Choice(TENDERS), default=None, help="payments: one tender only")
@click.option("--channel", type=click.Choice(CHANNELS), default=None, help="payments, entries: one channel only")
@click.option("--status", type=click.Choice(_ALL_STATUSES), default=None,
              help="payments: linked|unlinked|voided; entries: complete|incomplete; "
                   "flows: matched|waiting|anomaly|ignored")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="the file's format")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="write here (replaced whole); "
              "standard output when not given")
def export(kind: str, config: str, date_from: str, date_to: str, date_by: str, office: str | None,
           account: str | None, tender: str | None, channel: str | None, status: str | None, fmt: str,
           out: str | None) -> None:
    """Export payment lines, accounting entries, reconciled flows or anomalies for accounting."""
    from hub.config import ConfigError, load
    from hub.finance.exports.service import audit, write_file, write_stream
    from hub.store.db import Database
    if fmt == "xlsx" and out is None:
        raise click.UsageError("an XLSX workbook is written to a file: give --out FILE")
    try:
        request = ExportRequest.build(kind, date_from=date_from, date_to=date_to, date_by=date_by, fmt=fmt,
                                      office=office, account=account, tender=tender, channel=channel,
                                      status=status)
    except ExportRefused as exc:
        raise click.UsageError(f"--{exc}") from None
    try:
        database = Database.open(load(config).database_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        audit(database, request, f"cli:{getpass.getuser()}", "cli")
        if out is None:
            write_stream(database, request, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            write_file(database, request, Path(out))
    finally:
        database.dispose()


COMMANDS = (export,)
