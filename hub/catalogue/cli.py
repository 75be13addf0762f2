"""`counterpay hub catalogue …`: the fee catalogue's versions, shared or an office's own.

    counterpay hub catalogue list --config hub.toml [--office CODE | --shared] [--json]
    counterpay hub catalogue add --config hub.toml --file catalogue.json [--office CODE]
    counterpay hub catalogue publish --config hub.toml --version N
    counterpay hub catalogue show --config hub.toml [--office CODE]

`add` saves a draft (the JSON of hub.catalogue.model.Catalogue: price lists and handling fee
rules); `--office` makes it that office's own catalogue.  `publish` publishes a version in its
scope and sends it retained to the desks (over the broker, with the hub's certificate, as
`hub revoke-agent` does); a broker that cannot be reached is said, and the running hub sends it
at its next start.  Changes are audited as ``cli:<os user>``.  Exit codes: 0 done, 1 refused (no
such version, superseded, nothing published), 2 a usage or configuration error (a bad file).
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

_config = click.option("--config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
_office = click.option("--office", default=None, metavar="CODE", help="an office's own catalogue (default: the shared one)")


def _open(config: str):
    from hub.config import ConfigError, load
    from hub.store.db import Database, DatabaseError
    try:
        settings = load(config)
        return settings, Database.open(settings.database_url)
    except (ConfigError, DatabaseError) as exc:
        raise click.UsageError(str(exc)) from None


@click.group("catalogue")
def catalogue() -> None:
    """The fee catalogue: list versions, add a draft (shared or an office's), publish, show."""


@catalogue.command("list")
@_config
@_office
@click.option("--shared", is_flag=True, help="only the shared catalogue's versions")
@click.option("--json", "as_json", is_flag=True, help="one JSON document instead of a table")
def list_(config: str, office: str | None, shared: bool, as_json: bool) -> None:
    """Every version: number, status, office (or shared), created, published."""
    from hub.catalogue import service
    _settings, db = _open(config)
    try:
        with db.connect() as conn:
            found = service.versions(conn, office=office, shared_only=shared)
    finally:
        db.dispose()
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for row in found:
        click.echo(f"{row['version']:>5} {row['status']:<11} {row['office'] or '(shared)':<16} "
                   f"{row['created_at']} {row['created_by']:<20} {row['published_at'] or '-'}")


@catalogue.command("add")
@_config
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="the catalogue as JSON (price_lists, handling_fees)")
@_office
def add(config: str, path: str, office: str | None) -> None:
    """Save a catalogue file as a new draft; every bad field is named and nothing is saved."""
    from pydantic import ValidationError

    from hub.catalogue import service
    from hub.catalogue.model import Catalogue
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        model = Catalogue.model_validate(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.UsageError(f"{path} is not UTF-8 JSON: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'catalogue'}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(f"{path}: {problems}") from None
    _settings, db = _open(config)
    try:
        with db.begin() as conn:
            version = service.add_draft(conn, model, f"cli:{getpass.getuser()}", office)
    finally:
        db.dispose()
    click.echo(f"draft version {version} saved for {office or 'the shared catalogue'}")


@catalogue.command("publish")
@_config
@click.option("--version", "version", required=True, type=click.IntRange(min=1), help="the version to publish")
def publish(config: str, version: int) -> None:
    """Publish a version in its scope (the previous one of that scope is superseded) and send it to the desks."""
    from hub.catalogue import service
    from hub.catalogue.service import CatalogueError
    settings, db = _open(config)
    try:
        with db.begin() as conn:
            document = service.publish(conn, version, f"cli:{getpass.getuser()}")
    except CatalogueError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    finally:
        db.dispose()
    office = document.get("office")
    click.echo(f"version {version} published for {office or 'the shared catalogue'}")
    problem = _send(settings, service.topic(office), service.payload(document))
    click.echo("sent to the desks" if problem is None else f"NOT sent to the desks now: {problem}; "
               "the running hub sends it at its next start", err=problem is not None)


def _send(settings, topic: str, payload: bytes) -> str | None:
    if not settings.mqtt.tls:
        return "[mqtt] tls is off"
    from hub.pki.publish import publish_retained
    return publish_retained(settings, topic, payload, "the catalogue")


@catalogue.command("show")
@_config
@_office
def show(config: str, office: str | None) -> None:
    """The published version of the shared catalogue or of an office, as JSON; exit 1 if none."""
    from hub.catalogue import service
    _settings, db = _open(config)
    try:
        with db.connect() as conn:
            document = service.current(conn, office)
    finally:
        db.dispose()
    if document is None:
        click.echo(f"Error: {'office ' + office if office else 'the shared catalogue'} has no published version",
                   err=True)
        sys.exit(1)
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


COMMANDS = (catalogue,)
