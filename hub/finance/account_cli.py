"""`counterpay hub account …`: the offices' bank accounts, from the hub's own machine.

    counterpay hub account add --config hub.toml --office ROMA-1 --iban IT60X0542811101000000123456 \
        [--holder NAME] [--bank NAME] [--purpose TEXT] [--from YYYY-MM-DD]
    counterpay hub account list --config hub.toml [--office CODE] [--iban IBAN] [--json]
    counterpay hub account close --config hub.toml --iban IBAN [--office CODE] [--to YYYY-MM-DD]

Changes are written to the audit log as actor ``cli:<os user>``.  Exit codes: 0 done,
1 refused (the IBAN is an account already, no office has it, it is closed already),
2 a usage or configuration error (an IBAN that fails its checks, a bad date or office).
"""

from __future__ import annotations

import getpass
import json

import click

_config = click.option("--config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
_iban = click.option("--iban", required=True, help="the account's IBAN, in any spacing (a Polish NRB is taken too)")


def _db(config: str):
    from hub.config import ConfigError, load
    from hub.store.db import Database
    try:
        return Database.open(load(config).database_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _change(config: str, change):
    """Run `change(conn)` in one transaction and return what it returns; a refusal exits 1, a bad value 2."""
    from hub.finance.accounts import AccountClosed, AccountError, AccountExists, UnknownAccount
    db = _db(config)
    try:
        with db.begin() as conn:
            return change(conn)
    except (AccountExists, UnknownAccount, AccountClosed) as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None
    except AccountError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        db.dispose()


def _line(account) -> str:
    active = f"{account.active_from or '…'} to {account.active_to or '…'}"
    return (f"{account.office:<16} {account.formatted_iban:<42} {active:<26} "
            f"{account.holder or '-'} / {account.bank or '-'}")


@click.group("account")
def account() -> None:
    """The offices' bank accounts: add, list, close (an IBAN belongs to one office; closing keeps it)."""


@account.command("add")
@_config
@click.option("--office", required=True, metavar="CODE", help="the office the account belongs to")
@_iban
@click.option("--holder", default=None, metavar="NAME", help="the account holder: the beneficiary on EPC and ZBP codes")
@click.option("--bank", default=None, metavar="NAME", help="the bank that keeps the account")
@click.option("--purpose", default=None, metavar="TEXT", help="what the account is for (e.g. fees, taxes)")
@click.option("--from", "active_from", default=None, metavar="DATE", help="the first day it is used (YYYY-MM-DD)")
def add(config: str, office: str, iban: str, holder: str | None, bank: str | None, purpose: str | None,
        active_from: str | None) -> None:
    """Add an account to an office; exit 1 if any office has the IBAN already."""
    from hub.finance.accounts import add_account
    made = _change(config, lambda conn: add_account(conn, office=office, iban=iban, holder=holder, bank=bank,
                                                    purpose=purpose, active_from=active_from,
                                                    actor=f"cli:{getpass.getuser()}"))
    click.echo(f"added account {made.formatted_iban} to office {made.office}")


@account.command("list")
@_config
@click.option("--office", default=None, metavar="CODE", help="only this office's accounts (default: every office)")
@click.option("--iban", default=None, help="only the account with this IBAN")
@click.option("--json", "as_json", is_flag=True, help="one JSON document instead of a table")
def list_(config: str, office: str | None, iban: str | None, as_json: bool) -> None:
    """Every account, open and closed: office, IBAN, active from and to, holder and bank."""
    from hub.finance.accounts import accounts_page
    from hub.users.scope import Scope
    db = _db(config)
    found = []
    try:
        with db.connect() as conn:
            cursor = None
            while True:     # page by page: the command lists them all
                page = accounts_page(conn, Scope.everything(), office=office, cursor=cursor, limit=500)
                found += page.rows
                cursor = page.next_cursor
                if cursor is None:
                    break
    finally:
        db.dispose()
    if iban:
        from hub.finance.accounts import compact_iban
        found = [a for a in found if a.iban == compact_iban(iban)]
    if as_json:
        click.echo(json.dumps([a.public() for a in found], indent=2, ensure_ascii=False))
        return
    for one in found:
        click.echo(_line(one))


@account.command("close")
@_config
@click.option("--office", default=None, metavar="CODE", help="refuse unless the account is this office's")
@_iban
@click.option("--to", "active_to", default=None, metavar="DATE",
              help="the last day it is used (YYYY-MM-DD; default: today)")
def close(config: str, office: str | None, iban: str, active_to: str | None) -> None:
    """Close an account (it stays listed, with its last day); exit 1 if no office has it or it is closed."""
    from hub.finance.accounts import close_account
    from hub.users.scope import Scope
    scope = Scope.of([office]) if office else None
    closed = _change(config, lambda conn: close_account(conn, iban=iban, active_to=active_to, scope=scope,
                                                        actor=f"cli:{getpass.getuser()}"))
    click.echo(f"closed account {closed.formatted_iban} of office {closed.office}: its last day is {closed.active_to}")


COMMANDS = (account,)
