"""`counterpay hub …`: init, serve, audit verify, and the broker, delivery, user, account, reconcile,
export and notices commands.

Exit codes: 0 done, 1 the answer is "no" (the audit chain is broken), 2 a usage or
configuration error.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from hub.activation.cli import COMMANDS as ACTIVATION_COMMANDS
from hub.catalogue.cli import COMMANDS as CATALOGUE_COMMANDS
from hub.config import ConfigError, load
from hub.delivery.cli import COMMANDS as DELIVERY_COMMANDS
from hub.doctor.cli import COMMANDS as DOCTOR_COMMANDS
from hub.finance.account_cli import COMMANDS as ACCOUNT_COMMANDS
from hub.finance.exports.cli import COMMANDS as EXPORT_COMMANDS
from hub.finance.reconcile.cli import COMMANDS as RECONCILE_COMMANDS
from hub.notices.cli import COMMANDS as NOTICE_COMMANDS
from hub.pki.cli import COMMANDS as PKI_COMMANDS
from hub.users.cli import COMMANDS as USER_COMMANDS


@click.group()
def hub() -> None:
    """The central service: ingest from agents, linking, webhooks, enrollment, REST API."""


def _settings(config: str):
    try:
        return load(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@hub.command()
@click.option("--dir", "hub_dir", default="counterpay-hub", show_default=True, type=click.Path(file_okay=False),
              help="the hub's directory (configuration, database, keys, PKI)")
@click.option("--database-url", default=None, help="use this database instead of <dir>/hub.db (PostgreSQL)")
def init(hub_dir: str, database_url: str | None) -> None:
    """Create the configuration, database, signing keys, PKI and first admin token."""
    from hub.setup import init_hub
    try:
        lines = init_hub(Path(hub_dir), database_url)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for line in lines or ["everything already exists; nothing to do"]:
        click.echo(line)
    click.echo(f"start it with: counterpay hub serve --config {Path(hub_dir).resolve() / 'hub.toml'}")


@hub.command()
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.option("--no-ingest", is_flag=True, help="serve the API only (another process consumes MQTT)")
@click.option("--no-delivery", is_flag=True, help="do not send webhooks from this process")
def serve(config: str, no_ingest: bool, no_delivery: bool) -> None:
    """Run the REST API, the MQTT ingest worker and the webhook delivery worker."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from hub.serve import serve as run
    run(_settings(config), with_ingest=not no_ingest, with_delivery=not no_delivery)


@hub.group()
def audit() -> None:
    """The append-only, hash-chained audit log."""


@audit.command("verify")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
def audit_verify(config: str) -> None:
    """Check the audit log's hash chain; exit 1 if any row was edited, removed or inserted."""
    from sqlalchemy import func, select

    from hub.audit.log import verify
    from hub.store.db import Database
    from hub.store.tables import audit_log
    database = Database.open(_settings(config).database_url)
    try:
        with database.connect() as conn:
            breaks = verify(conn)
            rows = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
    finally:
        database.dispose()
    if not breaks:
        click.echo(f"audit log intact: {rows} rows, hash chain verified")
        return
    for chain_break in breaks:
        click.echo(f"row {chain_break.seq}: {chain_break.problem}", err=False)
    click.echo(f"audit log BROKEN: {len(breaks)} problems in {rows} rows")
    raise SystemExit(1)


for command in (*PKI_COMMANDS, *DELIVERY_COMMANDS, *USER_COMMANDS, *ACCOUNT_COMMANDS, *RECONCILE_COMMANDS,
                *EXPORT_COMMANDS, *NOTICE_COMMANDS, *ACTIVATION_COMMANDS, *CATALOGUE_COMMANDS, *DOCTOR_COMMANDS):
    hub.add_command(command)
