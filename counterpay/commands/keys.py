"""`counterpay keys …`: make Ed25519 signing keys and the key directory that verifies them.

A key folder holds `signing-key.pem` (private, mode 0600) and `key-directory.json`
(public: every key that may be trusted, with owner, uses and revocations).  The hub
publishes its directory to agents; this command is for standalone use, tests and
commissioning.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click

from protocol.keys import USES, KeyDirectory, KeyProblem, SigningKey

PRIVATE_NAME = "signing-key.pem"
DIRECTORY_NAME = "key-directory.json"


def load_directory(path: Path) -> KeyDirectory:
    """Load a key directory from a folder (its key-directory.json) or a JSON file."""
    file = path / DIRECTORY_NAME if path.is_dir() else path
    try:
        return KeyDirectory.from_json(json.loads(file.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise click.UsageError(f"no key directory at {file} (make one with `counterpay keys new DIR`)") from None
    except (OSError, json.JSONDecodeError, KeyProblem) as exc:
        raise click.UsageError(f"{file}: not a usable key directory: {exc}") from None


def save_directory(directory: KeyDirectory, folder: Path) -> Path:
    file = folder / DIRECTORY_NAME
    tmp = file.with_suffix(".tmp")
    tmp.write_text(json.dumps(directory.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, file)
    return file


@click.group()
def keys() -> None:
    """Signing keys and key directories for orders, receipts and events."""


@keys.command("new")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--owner", default="hub", show_default=True, help="'hub' or the agent id that owns the key.")
@click.option("--use", "uses", multiple=True, type=click.Choice(USES),
              help="What the key may sign (repeatable). Default: order for the hub, receipt and event for an agent.")
@click.option("--force", is_flag=True, help="Replace an existing private key in FOLDER.")
@click.option("--json", "as_json", is_flag=True, help="Print the new key's public entry as JSON.")
def new(folder: Path, owner: str, uses: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Make a new Ed25519 key in FOLDER and add it to FOLDER's key directory."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = folder / PRIVATE_NAME
    if private.exists() and not force:
        raise click.UsageError(f"{private} exists already; use --force to replace it")
    key = SigningKey.generate()
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.to_pem())
    directory = load_directory(folder) if (folder / DIRECTORY_NAME).exists() else KeyDirectory()
    entry = key.public_entry(owner, uses or (("order",) if owner == "hub" else ("receipt", "event")))
    directory.add(entry)
    file = save_directory(directory, folder)
    if as_json:
        click.echo(json.dumps(entry.to_json()))
    else:
        click.echo(f"key {key.kid} for {owner} ({', '.join(entry.uses)})")
        click.echo(f"private key: {private} (keep it secret)")
        click.echo(f"key directory: {file}")


@keys.command("revoke")
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.argument("kid")
@click.option("--reason", default="revoked", show_default=True)
def revoke(folder: Path, kid: str, reason: str) -> None:
    """Mark key KID revoked in FOLDER's key directory: its signatures stop verifying."""
    directory = load_directory(folder)
    try:
        directory.revoke(kid, dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), reason)
    except KeyProblem as exc:
        raise click.UsageError(str(exc)) from None
    save_directory(directory, folder if folder.is_dir() else folder.parent)
    click.echo(f"key {kid} revoked ({reason})")


def load_signing_key(path: Path) -> SigningKey:
    file = path / PRIVATE_NAME if path.is_dir() else path
    try:
        return SigningKey.from_pem(file.read_bytes())
    except OSError as exc:
        raise click.UsageError(f"cannot read the private key {file}: {exc.strerror}") from None
    except KeyProblem as exc:
        raise click.UsageError(f"{file}: {exc}") from None
