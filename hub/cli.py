"""`counterpay hub …`: init, serve (by role), audit verify, and the broker, delivery, user, account, reconcile,
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
@click.option("--role", "roles", multiple=True, type=click.Choice(["api", "ingest", "delivery", "jobs", "all"]),
              help="what this process runs (repeat for several; default all): api = REST API and web console; "
                   "ingest = MQTT ingest on the shared subscription; delivery = webhook delivery; "
                   "jobs = scheduled jobs (retention); all = every one")
@click.option("--worker", default=None, metavar="NAME",
              help="this process's identity: MQTT client id hub-NAME, with TLS the certificate "
                   "`hub worker-cert --name NAME` issued, and the name on its delivery leases; "
                   "give each process that runs ingest, delivery or api its own")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="answer HTTP on this port instead of [api] port (several API processes on one machine)")
@click.option("--no-ingest", is_flag=True, help="with the default roles: no ingest (same as naming the others)")
@click.option("--no-delivery", is_flag=True, help="with the default roles: no webhook delivery")
def serve(config: str, roles: tuple[str, ...], worker: str | None, port: int | None, no_ingest: bool,
          no_delivery: bool) -> None:
    """Run the hub's roles: by default the REST API and console, the MQTT ingest worker, the webhook
    delivery worker and the scheduled jobs, all in this process.

    Several processes with one configuration file and one PostgreSQL database share the work:
    e.g. `--role api --port 8081 --worker api-2`, `--role ingest --worker in-1`, `--role delivery
    --worker out-1`, `--role jobs`.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from hub.serve import roles_of, serve as run
    chosen = set(roles_of(roles))
    chosen -= {"ingest"} if no_ingest else set()
    chosen -= {"delivery"} if no_delivery else set()
    try:
        run(_settings(config), roles=frozenset(chosen), worker=worker, port=port)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


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
