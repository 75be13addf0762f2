"""`counterpay hub deliveries …`: what an operator on the hub's machine needs without an API token.

    counterpay hub deliveries --config hub.toml list [--status dead]
    counterpay hub deliveries --config hub.toml show EVENT_ID
    counterpay hub deliveries --config hub.toml replay EVENT_ID… | --since 2026-11-20T00:00:00Z [--until …]

Replays are written to the audit log as actor ``cli:<user>``.
Exit codes: 0 done, 1 not found / nothing to replay, 2 usage or configuration error.
"""

from __future__ import annotations

import getpass
import json

import click

from protocol.domain import DeliveryStatus


def _db(config: str):
    from hub.config import ConfigError, load
    from hub.store.db import Database
    try:
        return Database.open(load(config).database_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _time(value: str | None, name: str) -> str | None:
    from hub.store.timeutil import normalise
    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an RFC 3339 time such as 2026-11-22T12:00:00Z",
                                 param_hint=name) from None


@click.group("deliveries")
@click.option("--config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.pass_context
def deliveries(ctx: click.Context, config: str) -> None:
    """Webhook confirmations to case systems: list, show, replay."""
    ctx.obj = config


@deliveries.command("list")
@click.option("--status", type=click.Choice([s.value for s in DeliveryStatus]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.pass_obj
def list_(config: str, status: str | None, limit: int) -> None:
    """Newest first: event, case system, status, attempts, why it waits."""
    from hub.delivery.views import list_deliveries
    db = _db(config)
    with db.connect() as conn:
        rows = list_deliveries(conn, status=status, limit=limit)
    for row in rows:
        click.echo(f"{row['created_at']}  {row['event_id']:<28} {row['case_system'] or '-':<16} "
                   f"{row['status']:<9} attempts {row['attempts']:<3} {row['waiting'] or ''}".rstrip())
    if not rows:
        click.echo("no confirmations" + (f" with status {status}" if status else ""))


@deliveries.command()
@click.argument("event_id")
@click.pass_obj
def show(config: str, event_id: str) -> None:
    """One confirmation as JSON: payload, why it waits, every attempt."""
    from hub.delivery.views import delivery_detail
    db = _db(config)
    with db.connect() as conn:
        item = delivery_detail(conn, event_id)
    if item is None:
        click.echo(f"no confirmation for event {event_id!r}", err=True)
        raise SystemExit(1)
    click.echo(json.dumps(item, indent=2, ensure_ascii=False, default=str))


@deliveries.command()
@click.argument("event_ids", nargs=-1)
@click.option("--since", help="replay dead letters queued at or after this time")
@click.option("--until", help="…and before this time")
@click.option("--include-delivered", is_flag=True, help="with a time range: also resend accepted ones")
@click.pass_obj
def replay(config: str, event_ids: tuple[str, ...], since: str | None, until: str | None,
           include_delivered: bool) -> None:
    """Send confirmations again, with their original webhook ids."""
    from hub.delivery.replay import replay as do_replay
    if bool(event_ids) == bool(since or until):
        raise click.UsageError("give event ids, or --since/--until, not both")
    db = _db(config)
    with db.begin() as conn:
        result = do_replay(conn, actor=f"cli:{getpass.getuser()}", event_ids=list(event_ids) or None,
                           since=_time(since, "--since"), until=_time(until, "--until"),
                           include_delivered=include_delivered)
    click.echo(f"replayed {len(result['replayed'])}; already pending {len(result['already_pending'])}; "
               f"still without a case system {len(result['still_unrouted'])}")
    for missing in result["not_found"]:
        click.echo(f"no confirmation for event {missing!r}", err=True)
    if not result["replayed"]:
        raise SystemExit(1)


COMMANDS = [deliveries]
