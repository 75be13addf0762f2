"""`counterpay hub notices send|status`: mailing payment notices to payers, and what came of it.

    counterpay hub notices send --config hub.toml (--order ID ... | --unpaid [--office CODE]
        [--due-before DATE]) [--request-id ID] [--dry-run]
    counterpay hub notices status --config hub.toml [--json]

`send` opens the send request of its selection (the same selection is the same request:
run it again and only what is not sent yet is mailed; `--request-id` names another, to
mail the same orders again), queues a message per order with a payer e-mail, mails them
with a progress bar and prints a summary.  Each run is audited as ``cli:<os user>``.
`--dry-run` says what would be mailed, and writes and sends nothing.

Exit codes: 0 every message of the request sent (orders without an e-mail are skipped,
not errors); 1 some refused, failed or unknown (listed with the server's answer); 2 a
usage or configuration error; 3 the mail server could not be used (login, TLS): nothing
more was sent, the rest stays queued for the next run.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys

import click

from hub.config import ConfigError, load
from hub.mail.smtp import MailServerUnusable

EXIT_PROBLEMS, EXIT_USAGE, EXIT_SERVER = 1, 2, 3
_CONFIG = click.option("--config", "config", required=True, type=click.Path(dir_okay=False),
                       help="the hub configuration (TOML)")


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.UsageError(f"--due-before {value!r}: expected a date YYYY-MM-DD") from None


def _open(config: str):
    from hub.store.db import Database
    try:
        settings = load(config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    return settings, Database.open(settings.database_url)


@click.command("send")
@_CONFIG
@click.option("--order", "order_ids", multiple=True, metavar="ID", help="this order's notice (repeat for more)")
@click.option("--unpaid", is_flag=True, help="the notices of every unpaid, not cancelled order")
@click.option("--office", default=None, metavar="CODE", help="with --unpaid: of this office only")
@click.option("--due-before", default=None, metavar="DATE", help="with --unpaid: due before this day (YYYY-MM-DD)")
@click.option("--request-id", default=None, metavar="ID",
              help="the send request's id; default: one derived from the selection (so a rerun resumes it)")
@click.option("--dry-run", is_flag=True, help="say what would be mailed; write and send nothing")
def send(config: str, order_ids: tuple[str, ...], unpaid: bool, office: str | None, due_before: str | None,
         request_id: str | None, dry_run: bool) -> None:
    """Mail payment notices (PDF attached) to the payers' e-mail addresses, in each payer's language."""
    from hub.mail.ledger import PROBLEM_STATES, Selection, open_request, plan_request
    from hub.mail.selection import SelectionRefused, select_for_mail
    from hub.mail.sender import run_request
    from hub.mail.status import messages, state_counts
    from hub.users.scope import Scope
    if bool(order_ids) == unpaid:
        raise click.UsageError("give either --order ID (one or more) or --unpaid")
    if order_ids and (office or due_before):
        raise click.UsageError("--office and --due-before filter --unpaid; with --order the orders are named")
    if request_id is not None and not (0 < len(request_id) <= 64 and request_id.isprintable()):
        raise click.UsageError(f"--request-id {request_id!r}: expected 1-64 printable characters")
    selection = Selection(order_ids=order_ids, unpaid=unpaid, office=office, due_before=_date(due_before))
    request_id = request_id or selection.request_id()
    settings, database = _open(config)
    try:
        if not settings.smtp.configured and not dry_run:
            raise click.UsageError(f"{settings.config_path}: [smtp] host is not set: this hub sends no e-mail")
        with database.begin() as conn:
            try:
                orders = select_for_mail(conn, order_ids=list(order_ids), unpaid=unpaid, office=office,
                                         due_before=selection.due_before, scope=Scope.everything())
            except SelectionRefused as exc:
                raise click.UsageError(str(exc)) from None
            if dry_run:
                plan = plan_request(conn, request_id, orders)
            else:
                plan = open_request(conn, selection, orders, settings, f"cli:{getpass.getuser()}", request_id)
            counts = state_counts(conn, [request_id])[request_id]
        _echo_plan(plan, dry_run)
        if dry_run:
            return
        total = counts["queued"] + counts["sending"]
        try:
            with click.progressbar(length=total, label="mailing", file=sys.stderr, show_pos=True) as bar:
                outcome = run_request(database, settings, request_id,
                                      on_message=lambda _order, _state: bar.update(1))
        except MailServerUnusable as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(EXIT_SERVER) from None
        if outcome.elsewhere:
            click.echo(f"request {request_id} is being mailed by another hub process right now; nothing sent "
                       f"from here (its progress: counterpay hub notices status --config {config})", err=True)
        with database.connect() as conn:
            counts = state_counts(conn, [request_id])[request_id]
            problems = messages(conn, request_id)
    finally:
        database.dispose()
    click.echo("request " + request_id + ": " + ", ".join(f"{n} {state}" for state, n in counts.items() if n))
    for row in problems:
        click.echo(f"  {row['order_id']} {row['state']} {row['recipient'] or ''}: "
                   f"{row['reply_code'] or ''} {row['reply_text'] or ''}".rstrip())
    if any(counts[state] for state in PROBLEM_STATES):
        raise SystemExit(EXIT_PROBLEMS)


def _echo_plan(plan, dry_run: bool) -> None:
    verb = "would mail" if dry_run else "mailing"
    already = ", ".join(f"{n} {state}" for state, n in sorted(plan.done.items()))
    click.echo(f"request {plan.request_id}: {verb} {len(plan.queued)}"
               + (f"; already in the request: {already}" if already else "")
               + (f"; {len(plan.skipped)} skipped" if plan.skipped else ""))
    for order_id, why in plan.skipped[:50]:
        click.echo(f"  skipped {order_id}: {why}")
    if len(plan.skipped) > 50:
        click.echo(f"  … and {len(plan.skipped) - 50} more skipped")


@click.command("status")
@_CONFIG
@click.option("--json", "as_json", is_flag=True, help="one JSON document instead of text")
def status(config: str, as_json: bool) -> None:
    """Each send request's messages per state, and those refused, failed or unknown with the server's answer."""
    from hub.mail.status import messages, requests
    settings, database = _open(config)
    try:
        with database.connect() as conn:
            found = requests(conn)
            for row in found:
                row["problems"] = [{key: message[key] for key in ("order_id", "state", "recipient", "attempts",
                                                                  "reply_code", "reply_text", "message_id")}
                                   for message in messages(conn, row["request_id"])]
    finally:
        database.dispose()
    if as_json:
        click.echo(json.dumps({"requests": found}, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no send requests yet")
    for row in found:
        counts = ", ".join(f"{n} {state}" for state, n in row["counts"].items() if n) or "no messages"
        click.echo(f"{row['request_id']}  {row['created_at']}  by {row['requested_by']}  "
                   f"{json.dumps(row['selection'], ensure_ascii=False)}: {counts}")
        for problem in row["problems"]:
            click.echo(f"  {problem['order_id']} {problem['state']}: {problem['reply_code'] or ''} "
                       f"{problem['reply_text'] or ''}".rstrip())


COMMANDS = (send, status)
"""Attached to `counterpay hub notices` (hub/cli.py; the notices branch's group at merge)."""
