"""Enrollment tokens and agent revocation from the hub host's command line (the API does the same).

    counterpay hub enrollment-token create --config hub.toml --office rome-1 [--hours 72] [--agent-id ID]
    counterpay hub enrollment-token list   --config hub.toml [--office rome-1]
    counterpay hub enrollment-token revoke --config hub.toml TOKEN_ID
    counterpay hub revoke-agent --config hub.toml AGENT_ID --reason "stolen laptop"

Changes are audited as actor `cli:<os user>`.  Exit codes: 0 done, 1 refused, 2 configuration problem.
"""

from __future__ import annotations

import getpass
import json
import sys

import click

from hub.pki.ca import CertificateAuthority, PkiPaths

CONFIG_OPTION = click.option("--config", "config", required=True, type=click.Path(dir_okay=False),
                             help="the hub configuration (TOML)")


def _open(config: str):
    from hub.config import ConfigError, load
    from hub.store.db import Database, DatabaseError
    try:
        settings = load(config)
        return settings, Database.open(settings.database_url)
    except (ConfigError, DatabaseError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _refused(exc) -> None:
    click.echo(f"refused ({exc.code}): {exc.message}", err=True)
    sys.exit(1)


@click.group("enrollment-token")
def enrollment_token() -> None:
    """One-time tokens a new counter PC enrolls with."""


@enrollment_token.command("create")
@CONFIG_OPTION
@click.option("--office", required=True, help="the office the enrolled agent belongs to")
@click.option("--hours", default=72.0, show_default=True, help="hours until the token expires")
@click.option("--agent-id", default=None, help="allow only this agent id to use the token")
@click.option("--note", default=None, help="a note for the token list")
def create(config: str, office: str, hours: float, agent_id: str | None, note: str | None) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    from hub.pki.enrollment import EnrollmentRefused, create_token
    _settings, db = _open(config)
    try:
        with db.begin() as conn:
            token, info = create_token(conn, office, _actor(), hours=hours, agent_id=agent_id, note=note)
    except EnrollmentRefused as exc:
        _refused(exc)
    click.echo(token)
    click.echo(f"token {info['token_id']} for office {office}, expires {info['expires_at']} "
               "(shown only now: give it to the technician)", err=True)


@enrollment_token.command("list")
@CONFIG_OPTION
@click.option("--office", default=None)
def list_(config: str, office: str | None) -> None:
    """List tokens as JSON lines (never the tokens themselves)."""
    from hub.pki.enrollment import list_tokens
    _settings, db = _open(config)
    with db.connect() as conn:
        for item in list_tokens(conn, office=office):
            click.echo(json.dumps(item, sort_keys=True))


@enrollment_token.command("revoke")
@CONFIG_OPTION
@click.argument("token_id", type=int)
def revoke(config: str, token_id: int) -> None:
    """Revoke an unused token."""
    from hub.pki.enrollment import EnrollmentRefused, revoke_token
    _settings, db = _open(config)
    try:
        with db.begin() as conn:
            info = revoke_token(conn, token_id, _actor())
    except EnrollmentRefused as exc:
        _refused(exc)
    click.echo(f"token {token_id}: {info['status']}")


@click.command("revoke-agent")
@CONFIG_OPTION
@click.argument("agent_id")
@click.option("--reason", required=True, help="why (goes into the key directory and the audit log)")
def revoke_agent_command(config: str, agent_id: str, reason: str) -> None:
    """Revoke an agent: CRL rewritten, broker reloaded, open connection cut, key marked revoked and republished."""
    from hub.context import load_signing_key
    from hub.pki.enrollment import EnrollmentRefused
    from hub.pki.keydir import load_directory
    from hub.pki.publish import publish_directory_once
    from hub.pki.broker_config import BrokerPaths
    from hub.pki.revocation import cut_connection, reload_broker, revoke_agent
    settings, db = _open(config)
    try:
        ca = CertificateAuthority.load(PkiPaths.under(settings.data_dir))
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        with db.begin() as conn:
            result = revoke_agent(conn, ca, agent_id, reason, _actor())
    except EnrollmentRefused as exc:
        _refused(exc)
    reloaded = reload_broker(BrokerPaths.under(settings.data_dir).pid)
    click.echo(f"revoked {agent_id}: certificates {', '.join(result['serials']) or 'none live'}, "
               f"keys {', '.join(result['kids']) or 'none live'}; broker "
               + ("reloaded" if reloaded else "not running here: reload it (SIGHUP) to apply the CRL"))
    cut = settings.mqtt.tls and cut_connection(ca, agent_id, settings.mqtt.host, settings.mqtt.port)
    click.echo(f"connection_cut: {'true' if cut else 'false'} ("
               + ("its open broker connection, if any, was closed" if cut else
                  "the broker could not be reached over TLS: an open connection stays until it reconnects") + ")")
    with db.connect() as conn:
        directory = load_directory(conn)
    for path, uses in ((settings.order_key_file, ["order"]), (settings.event_key_file, ["event"])):
        if path:
            entry = load_signing_key(path).public_entry("hub", uses)
            directory.entries.setdefault(entry.kid, entry)
    problem = publish_directory_once(settings, directory, ca) if settings.mqtt.tls else "[mqtt] tls is off"
    click.echo("key directory published" if problem is None else f"key directory NOT published: {problem}; "
               "the running hub publishes it at its next start or change", err=problem is not None)


COMMANDS = [enrollment_token, revoke_agent_command]
