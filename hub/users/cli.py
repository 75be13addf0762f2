"""`counterpay hub user …`: the hub's named users, from the hub's own machine.

    counterpay hub user create --config hub.toml --username anna --role operator --office ROMA-1 --password-stdin
    counterpay hub user list --config hub.toml [--json]
    counterpay hub user disable|enable --config hub.toml --username anna
    counterpay hub user reset-password --config hub.toml --username anna --password-stdin
    counterpay hub user set-pin --config hub.toml --username anna --pin-stdin
    counterpay hub user clear-pin --config hub.toml --username anna

Passwords are read from standard input (one line), never from the command line, where
other users of the machine could read them.  Changes are written to the audit log as
actor ``cli:<os user>``.  Exit codes: 0 done, 1 refused (the user exists, or there is
no such user), 2 a usage or configuration error (a bad role, office or password).
"""

from __future__ import annotations

import getpass
import json
import sys

import click

from hub.users.roles import ROLES

_config = click.option("--config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
_username = click.option("--username", required=True, help="the user's login name (lower-case)")
_password_stdin = click.option("--password-stdin", is_flag=True, required=True,
                               help="read the password from standard input (one line, at least 12 characters)")


def _db(config: str):
    from hub.config import ConfigError, load
    from hub.store.db import Database
    try:
        return Database.open(load(config).database_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _read_password() -> str:
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _change(config: str, change) -> None:
    """Run `change(conn)` in one transaction; a refusal exits 1, a bad value 2."""
    from hub.users.service import UnknownUser, UserError, UserExists
    db = _db(config)
    try:
        with db.begin() as conn:
            change(conn)
    except (UserExists, UnknownUser) as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    except UserError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        db.dispose()


@click.group("user")
def user() -> None:
    """Named users of the web console: create, list, disable, enable, reset a password.

    Roles: admin, finance, operator, supervisor, auditor, desk, technician (see the
    README's "Users and roles"); without --office a user sees every office (operator and
    desk must name at least one).  Desk, technician and supervisor users log in at the
    counter with a desk PIN set by `set-pin` (README: "Operators at the desk").
    """


@user.command("create")
@_config
@_username
@click.option("--role", required=True, type=click.Choice(ROLES), help="what the user may do")
@click.option("--office", "offices", multiple=True, metavar="CODE",
              help="an office the user works for (repeat for several; none: every office)")
@click.option("--language", default="en", show_default=True, type=click.Choice(["en", "it", "pl", "lv", "el"]),
              help="the console's language for this user")
@_password_stdin
def create(config: str, username: str, role: str, offices: tuple[str, ...], language: str,
           password_stdin: bool) -> None:
    """Create a user; exit 1 if the username is taken."""
    from hub.users import service
    password = _read_password()
    made = []
    _change(config, lambda conn: made.append(service.create(conn, username, password, role, offices or None,
                                                            _actor(), language=language)))
    click.echo(f"created user {made[0].username} ({made[0].role}, {made[0].scope.describe()})")


@user.command("list")
@_config
@click.option("--json", "as_json", is_flag=True, help="one JSON document instead of a table")
def list_(config: str, as_json: bool) -> None:
    """Every user: name, role, offices, language, enabled or since when disabled."""
    from hub.users import service
    db = _db(config)
    try:
        with db.connect() as conn:
            users = service.list_all(conn)
    finally:
        db.dispose()
    if as_json:
        click.echo(json.dumps([u.public() for u in users], indent=2))
        return
    for u in users:
        state = "enabled" if u.enabled else f"disabled {u.disabled_at}"
        click.echo(f"{u.username:<24} {u.role:<11} {u.scope.describe():<24} {u.language:<3} {state}")


def _toggle(disabled: bool):
    def run(config: str, username: str) -> None:
        from hub.users import service
        changed = []
        _change(config, lambda conn: changed.append(service.set_disabled(conn, username, disabled, _actor())))
        word = "disabled" if disabled else "enabled"
        click.echo(f"user {username} {word}" if changed[0] else f"user {username} was already {word}")
    return run


user.command("disable", help="Disable a user and end its open sessions at once; exit 1 if there is no such user.")(
    _config(_username(_toggle(True))))
user.command("enable", help="Let a disabled user log in again; exit 1 if there is no such user.")(
    _config(_username(_toggle(False))))


@user.command("reset-password")
@_config
@_username
@_password_stdin
def reset_password(config: str, username: str, password_stdin: bool) -> None:
    """Set a new password (read from standard input) and end the user's sessions."""
    from hub.users import service
    password = _read_password()
    _change(config, lambda conn: service.reset_password(conn, username, password, _actor()))
    click.echo(f"password of {username} reset; its sessions are ended")


@user.command("set-pin")
@_config
@_username
@click.option("--pin-stdin", is_flag=True, required=True,
              help="read the desk PIN (6-12 digits) or desk password (12+ characters) from standard input")
def set_pin(config: str, username: str, pin_stdin: bool) -> None:
    """Set the PIN a desk, technician or supervisor user logs in with at the counter.

    The desks of the user's offices get a salted Argon2id verifier of it (never the PIN,
    never the console password's hash) within seconds when `hub serve` runs, and check
    logins against it offline.  Exit 1 if there is no such user, 2 for a role that does
    not work at a desk or a PIN that is too short or guessable.
    """
    from hub.users import desk_secret
    secret = _read_password()
    _change(config, lambda conn: desk_secret.set_secret(conn, username, secret, _actor()))
    click.echo(f"desk PIN of {username} set; the desks of its offices hear it with the next roster")


@user.command("clear-pin")
@_config
@_username
def clear_pin(config: str, username: str) -> None:
    """Remove a user's desk PIN: the desks refuse its login once they hear the next roster."""
    from hub.users import desk_secret
    cleared = []
    _change(config, lambda conn: cleared.append(desk_secret.clear_secret(conn, username, _actor())))
    click.echo(f"desk PIN of {username} removed" if cleared[0] else f"user {username} had no desk PIN")


COMMANDS = (user,)
