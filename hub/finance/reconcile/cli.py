"""`counterpay hub reconcile …`: import statements and reporting flows, run matching, report, resolve.

    counterpay hub reconcile import --config hub.toml PATH [--format auto|fdr|camt|mt940|csv]
                                    [--account IBAN] [--office CODE] [--columns date=1,amount=3,description=5] [--json]
    counterpay hub reconcile run --config hub.toml [--json]
    counterpay hub reconcile report --config hub.toml [--status matched|waiting|anomaly|ignored] [--json]
    counterpay hub reconcile resolve --config hub.toml --line ID|--flow ID|--payment ID --note TEXT [--json]

Imports and resolutions are written as actor ``cli:<os user>``.
Exit codes: 0 done, 1 the file was refused (where and why are printed) or the item cannot
be resolved, 2 usage or configuration error.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from hub.finance.reconcile.status import STATUSES

FORMATS = ("auto", "fdr", "camt", "mt940", "csv")

CONFIG = click.option("--config", "config", required=True, type=click.Path(dir_okay=False),
                      help="the hub configuration (TOML)")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="print one JSON object")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _open(config: str):
    from hub.config import ConfigError, load
    from hub.store.db import Database
    try:
        settings = load(config)
        return settings, Database.open(settings.database_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _print(as_json: bool, document: dict, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, sort_keys=True))
    else:
        for line in lines:
            click.echo(line)


def _counts(run: dict) -> list[str]:
    return [f"{name}: " + ", ".join(f"{status} {run[name].get(status, 0)}" for status in STATUSES)
            for name in ("lines", "flows", "payments")] + [f"payments made: {run['payments_made']}"]


@click.group("reconcile")
def reconcile() -> None:
    """Reconciliation: bank statements and pagoPA reporting flows against payments and orders."""


@reconcile.command("import")
@CONFIG
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="the file's format; auto tells them apart by their content")
@click.option("--account", "account", default=None, metavar="IBAN",
              help="the bank account the statement is for (default: the account the file names); "
                   "for a flow, the account its transfer is paid into, whose office it is")
@click.option("--office", "office", default=None, metavar="CODE", help="the office a reporting flow is for")
@click.option("--columns", "columns", default=None, metavar="date=1,amount=3,description=5",
              help="CSV: which columns (numbers from 1, or header names) hold the date, amount and description")
@AS_JSON
def import_command(config: str, path: str, fmt: str, account: str | None, office: str | None,
                   columns: str | None, as_json: bool) -> None:
    """Import a statement (camt.053/054, MT940, CSV) or a reporting flow once, then match."""
    from hub.finance.records import ImportRefused
    from hub.finance.reconcile.imports import ImportUsage, import_file
    parsed_columns = None
    if columns:
        from hub.finance.formats.csv_statement import parse_columns_option
        try:
            parsed_columns = parse_columns_option(columns)
        except (ValueError, ImportRefused) as exc:
            raise click.BadParameter(str(exc), param_hint="--columns") from None
    settings, db = _open(config)
    try:
        outcome = import_file(db, Path(path).read_bytes(), actor=_actor(), fmt=fmt, columns=parsed_columns,
                              account_iban=account, office=office, file_name=Path(path).name,
                              creditor_fiscal_code=settings.creditor_fiscal_code,
                              currency=settings.currency)
    except ImportRefused as exc:
        _print(as_json, {"refused": True, "where": exc.where, "reason": exc.reason},
               [f"{path}: refused, nothing imported: {exc.where}: {exc.reason}"])
        raise SystemExit(1) from None
    except ImportUsage as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        db.dispose()
    stored = outcome.stored
    if stored.repeated:
        text = [f"{path}: already imported (import {stored.first_import}, {stored.first_at}): nothing added"]
    else:
        whose = f"account {outcome.account_iban}" if stored.kind == "statement" else f"office {outcome.office}"
        items = "lines" if stored.kind == "statement" else "flow payments"
        text = [f"{path}: {stored.kind} imported for {whose}: {stored.items} {items}, {stored.added} new"]
        text += _counts(outcome.run.to_json())
    _print(as_json, outcome.to_json(), text)


@reconcile.command("run")
@CONFIG
@AS_JSON
def run_command(config: str, as_json: bool) -> None:
    """Match everything still waiting or in anomaly (safe to run any number of times)."""
    from hub.finance.reconcile.imports import run
    _settings, db = _open(config)
    try:
        outcome = run(db).to_json()
    finally:
        db.dispose()
    _print(as_json, outcome, _counts(outcome) + [f"changed: {outcome['changed']}"])


@reconcile.command("report")
@CONFIG
@click.option("--status", type=click.Choice(STATUSES), default=None, help="only the items of this status")
@AS_JSON
def report_command(config: str, status: str | None, as_json: bool) -> None:
    """List statement lines, flows and flow payments with their status and reason."""
    from hub.finance.reconcile.report import report
    from hub.users.scope import Scope
    _settings, db = _open(config)
    try:
        with db.connect() as conn:
            found = report(conn, Scope.everything(), status)
    finally:
        db.dispose()
    text = []
    for line in found["lines"]:
        named = line["flow_id"] or line["iuv"] or line["reference"] or "-"
        text.append(f"line {line['id']}\t{line['status']}\t{line['reason']}\t{line['booking_date']}\t"
                    f"{line['amount_minor']}\t{line['kind']}\t{named}")
    for flow in found["flows"]:
        text.append(f"flow {flow['id']}\t{flow['status']}\t{flow['reason']}\t{flow['flow_id']}\t"
                    f"{flow['amount_minor']}")
    for payment in found["payments"]:
        text.append(f"payment {payment['id']}\t{payment['status']}\t{payment['reason']}\t{payment['iuv']}\t"
                    f"{payment['amount_minor']}\t{payment['order_id'] or '-'}")
    _print(as_json, found, text or ["nothing to report"])


@reconcile.command("resolve")
@CONFIG
@click.option("--line", "line_id", type=click.IntRange(min=1), default=None, help="the statement line's id")
@click.option("--flow", "flow_id", type=click.IntRange(min=1), default=None, help="the flow's id (not its flow id)")
@click.option("--payment", "payment_id", type=click.IntRange(min=1), default=None, help="the flow payment's id")
@click.option("--note", required=True, help="why the anomaly is settled (kept in the audit log)")
@AS_JSON
def resolve_command(config: str, line_id: int | None, flow_id: int | None, payment_id: int | None, note: str,
                    as_json: bool) -> None:
    """Resolve an anomaly by hand, with a note; audited."""
    from hub.errors import HubError
    from hub.finance.reconcile.resolve import BadNote, resolve
    chosen = [(s, v) for s, v in (("line", line_id), ("flow", flow_id), ("payment", payment_id)) if v is not None]
    if len(chosen) != 1:
        raise click.UsageError("name exactly one of --line ID, --flow ID or --payment ID")
    (subject, row_id), = chosen
    _settings, db = _open(config)
    try:
        with db.begin() as conn:
            item = resolve(conn, subject, row_id, note, actor=_actor())
    except BadNote as exc:
        raise click.BadParameter(str(exc), param_hint="--note") from None
    except HubError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    finally:
        db.dispose()
    _print(as_json, item, [f"{subject} {row_id} resolved: {item['status']} ({item['reason']})"])


COMMANDS = (reconcile,)
