"""`counterpay hub notices export`: the notices of the selected orders, one PDF each, in a zip.

The zip is written beside --out under a temporary name and renamed when complete: an
interrupted export leaves no half zip.  The export is written to the audit log as actor
``cli:<os user>``.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from hub.notices.selection import SelectionError, Selection

SELECTION_HELP = ("Choose the orders with --order ID (repeat it) or --unpaid, which --office and "
                  "--due-before narrow.")


def selection_options(command):
    """The selection options every notices command takes, with the same names and help."""
    for option in reversed((
            click.option("--order", "order_ids", multiple=True, metavar="ID",
                         help="this order (repeat for several)"),
            click.option("--unpaid", is_flag=True, help="every unpaid order that is not cancelled"),
            click.option("--office", default=None, metavar="CODE", help="with --unpaid: one office's orders only"),
            click.option("--due-before", default=None, metavar="DATE",
                         help="with --unpaid: orders due before this day (YYYY-MM-DD, not included)"))):
        command = option(command)
    return command


@click.command("export", epilog=SELECTION_HELP)
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="the zip to write (replaced whole, only once complete)")
@selection_options
def export(config: str, out: str, order_ids: tuple[str, ...], unpaid: bool, office: str | None,
           due_before: str | None) -> None:
    """Export notices as PDFs in a zip, with a CSV for postal dispatch.

    Each PDF is named <payer fiscal code>_<year>_<IUV>.pdf, the year being that of the due date,
    else of the order's creation; an order with no IUV, or whose payer has no fiscal code, is
    named by its order id instead (<order id>.pdf).  postal.csv lists name, address, notice
    code, amount and due date of each notice, in the zip's order.
    """
    from hub.config import ConfigError, load
    from hub.notices.bulk import export_zip
    from hub.store.db import Database
    from hub.users.scope import Scope
    try:
        selection = Selection.build(order_ids=order_ids, unpaid=unpaid, office=office, due_before=due_before)
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        settings = load(config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    database = Database.open(settings.database_url)
    try:
        written = export_zip(database, settings, selection, Scope.everything(), Path(out),
                             actor=f"cli:{getpass.getuser()}", via="cli")
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        database.dispose()
    click.echo(f"{written} notices written to {out}")
