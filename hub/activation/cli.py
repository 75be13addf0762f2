"""`counterpay hub activation …` and `counterpay hub contract …`: card payments per service step, from the hub's machine.

    counterpay hub contract add --config hub.toml --office CODE --acquirer NAME --number NO \
        --from YYYY-MM-DD [--to YYYY-MM-DD]
    counterpay hub contract list --config hub.toml [--office CODE] [--json]
    counterpay hub activation list --config hub.toml --office CODE [--service STEP] [--json]
    counterpay hub activation submit|comment|approve|suspend --config hub.toml --office CODE --service STEP [--text …]

STEP is the service step's price list code in the fee catalogue.  `comment` and
`suspend` need --text (the reviewer's comment, or why).  Changes are audited as actor
``cli:<os user>``; after a change the office's desks are told at once through the broker
(retained `card.activation`), or, if it cannot be reached, when the running hub next starts.
Exit codes: 0 done, 1 refused (what is missing, the wrong state, a contract registered
already), 2 a usage or configuration error (a bad office, step or day).
"""

from __future__ import annotations

import getpass
import json

import click

_config = click.option("--config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
_office = click.option("--office", required=True, metavar="CODE", help="the office")
_service = click.option("--service", required=True, metavar="STEP", help="the service step: its price list's code")


def _settings(config: str):
    from hub.config import ConfigError, load
    try:
        return load(config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _run(config: str, change, office: str | None = None):
    """Run `change(conn)` in one transaction, then tell the office's desks; a refusal exits 1, a bad value 2."""
    from hub.activation.errors import ActivationError
    from hub.errors import Conflict, NotFound
    from hub.store.db import Database
    settings = _settings(config)
    db = Database.open(settings.database_url)
    try:
        with db.begin() as conn:
            result = change(conn)
        if office:
            _tell_desks(settings, db, office)
        return result
    except ActivationError as exc:
        if isinstance(exc, (Conflict, NotFound)):
            click.echo(f"Error: {exc}", err=True)
            raise SystemExit(1) from None
        raise click.UsageError(str(exc)) from None
    finally:
        db.dispose()


def _tell_desks(settings, db, office: str) -> None:
    from hub.activation import feed
    from hub.api.app import context_from_settings
    from hub.activation.contracts import clean_office
    office = clean_office(office)
    context = context_from_settings(settings, db)
    with db.connect() as conn:
        payload = feed.office_payload(conn, office, context.event_key)
    problem = feed.publish_once(settings, office, payload)
    click.echo(f"desks of office {office} told" if problem is None else
               f"desks of office {office} NOT told yet: {problem}; the running hub tells them at its next start",
               err=problem is not None)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@click.group("contract")
def contract() -> None:
    """The offices' card-payment contracts: add, list (a contract comes before any application)."""


@contract.command("add")
@_config
@_office
@click.option("--acquirer", required=True, metavar="NAME", help="the bank or processor the contract is with")
@click.option("--number", "contract_no", required=True, metavar="NO", help="the contract's number")
@click.option("--from", "valid_from", required=True, metavar="DATE", help="its first day (YYYY-MM-DD)")
@click.option("--to", "valid_to", default=None, metavar="DATE", help="its last day (YYYY-MM-DD; default: open-ended)")
def contract_add(config: str, office: str, acquirer: str, contract_no: str, valid_from: str,
                 valid_to: str | None) -> None:
    """Register a card-payment contract of an office; exit 1 if it is registered already."""
    from hub.activation.contracts import add_contract
    made = _run(config, lambda conn: add_contract(conn, office=office, acquirer=acquirer, contract_no=contract_no,
                                                  valid_from=valid_from, valid_to=valid_to, actor=_actor()),
                office=office)
    click.echo(f"registered contract {made['contract_no']} of {made['acquirer']} for office {made['office']}, "
               f"valid {made['valid_from']} to {made['valid_to'] or '…'}")


@contract.command("list")
@_config
@click.option("--office", default=None, metavar="CODE", help="only this office's contracts")
@click.option("--json", "as_json", is_flag=True, help="one JSON document instead of a table")
def contract_list(config: str, office: str | None, as_json: bool) -> None:
    """Every registered contract: office, acquirer, number, valid from and to."""
    from hub.activation.contracts import contracts
    from hub.users.scope import Scope
    found = _run(config, lambda conn: contracts(conn, Scope.everything(), office))
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for row in found:
        click.echo(f"{row['office']:<16} {row['acquirer']:<24} {row['contract_no']:<20} "
                   f"{row['valid_from']} to {row['valid_to'] or '…'}")


@click.group("activation")
def activation() -> None:
    """Card payments per service step: list, submit (the office), comment, approve, suspend (a reviewer)."""


@activation.command("list")
@_config
@_office
@click.option("--service", default=None, metavar="STEP", help="only this step, with its whole history")
@click.option("--json", "as_json", is_flag=True, help="one JSON document instead of a table")
def activation_list(config: str, office: str, service: str | None, as_json: bool) -> None:
    """Every service step of the published catalogue for the office: its state and what submitting needs."""
    from hub.activation import applications
    from hub.users.scope import Scope

    def look(conn):
        rows = applications.overview(conn, office)
        if service:
            rows = [r for r in rows if r["service"] == applications.clean_service(service)]
            for row in rows:
                try:
                    row["history"] = applications.get(conn, Scope.everything(), office, service)["history"]
                except applications.ApplicationNotFound:
                    row["history"] = []
        return rows
    rows = _run(config, look)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo(f"no service step of the published catalogue, and no application, for office {office}")
    for row in rows:
        click.echo(f"{row['service']:<16} {row['state']:<10} {row['name'] or ''}")
        for lacking in row["missing"]:
            click.echo(f"    missing: {lacking['message']}")
        if row["last_text"]:
            said = row["last_text"]
            click.echo(f"    {said['action']} by {said['actor']} at {said['at']}: {said['text']}")
        for event in row.get("history", []):
            click.echo(f"    {event['at']}  {event['actor']:<20} {event['action']:<8} {event['from_state']} → "
                       f"{event['to_state']}{'  ' + event['text'] if event['text'] else ''}")


def _step(action: str, summary: str):
    @activation.command(action, help=summary)
    @_config
    @_office
    @_service
    @click.option("--text", default=None, help="the comment, or why (needed by comment and suspend)")
    def command(config: str, office: str, service: str, text: str | None) -> None:
        from hub.activation import applications
        done = _run(config, lambda conn: applications.transition(conn, action, office=office, service=service,
                                                                 actor=_actor(), text=text), office=office)
        click.echo(f"service step {done['service']} of office {done['office']}: {done['state']}")
    return command


_step("submit", "Submit (or, after a comment, submit again) the office's application; exit 1 listing what is missing.")
_step("comment", "A reviewer's comment: the application goes back to the office (commented); needs --text.")
_step("approve", "A reviewer approves a submitted (or suspended) application: the desks take cards for the step.")
_step("suspend", "A reviewer suspends an active application: the desks stop taking cards for it; needs --text.")

COMMANDS = (activation, contract)
