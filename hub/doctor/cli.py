"""`counterpay hub doctor --config FILE [--json]`: every check of a site, a verdict each.

Exit 0 when nothing failed (warnings allowed), 1 when any check failed, 2 on a usage
error.  Read-only: it migrates nothing, writes nothing, and logs in to the broker under
its own name (hub/doctor/site.py).
"""

from __future__ import annotations

import json
from typing import Callable

import click

from hub.config import WELL_KNOWN_SHARE_GROUP, ConfigError, Settings, load
from hub.doctor import certificates, disk, site
from hub.doctor.verdicts import FAIL, OK, WARN, Verdict, worst


def check_configuration(path: str) -> tuple[Settings | None, Verdict]:
    try:
        settings = load(path)
    except ConfigError as exc:
        return None, Verdict("configuration", FAIL, str(exc), "fix the file; every key is listed in hub/config.py")
    if not settings.data_dir.is_dir():
        return settings, Verdict("configuration", FAIL, f"[hub] data_dir {settings.data_dir} is not a directory",
                                 "run `counterpay hub init --dir` there, or fix [hub] data_dir")
    if settings.mqtt.share_group == WELL_KNOWN_SHARE_GROUP:
        return settings, Verdict("configuration", WARN, f"{path} reads, but [mqtt] share_group is the well-known "
                                 f"{WELL_KNOWN_SHARE_GROUP!r}", "set a random one, the same in every hub role")
    return settings, Verdict("configuration", OK, f"{path} reads; data_dir {settings.data_dir}")


def _guarded(name: str, check: Callable[[], Verdict]) -> Verdict:
    """A check that itself breaks (a table missing, a driver error) is a failure, never a traceback."""
    try:
        return check()
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        return Verdict(name, FAIL, f"the check could not run: {first}", "fix what the other checks report first")


def run_checks(path: str) -> list[Verdict]:
    settings, verdict = check_configuration(path)
    verdicts = [verdict]
    if settings is None:
        return verdicts
    verdicts.append(_guarded("broker", lambda: site.check_broker(settings)))
    db, verdict = site.open_database(settings)
    verdicts.append(verdict)
    verdicts.append(_guarded("certificates", lambda: certificates.check_files(settings)))
    if db is not None:
        try:
            verdicts += [_guarded("migrations", lambda: site.check_migrations(db)),
                         _guarded("agent certificates", lambda: certificates.check_agents(db)),
                         _guarded("clock", lambda: site.check_clock(db))]
        finally:
            db.dispose()
    verdicts.append(_guarded("disk", lambda: disk.check_disk(settings)))
    return verdicts


MARK = {OK: "ok  ", WARN: "WARN", FAIL: "FAIL"}


@click.command("doctor")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object: verdict, checks[{check, verdict, found, action}]")
def doctor_command(config: str, as_json: bool) -> None:
    """Check a site: configuration, broker (reachable, TLS), database and migrations, certificate
    expiries (CA, broker, hub, agents), clock skew against the database server, disk space.

    A verdict per check (ok / warn / fail, with what to do); exit 1 if any check failed."""
    verdicts = run_checks(config)
    overall = worst(verdicts)
    if as_json:
        click.echo(json.dumps({"verdict": overall, "checks": [v.to_json() for v in verdicts]}, indent=2))
    else:
        for v in verdicts:
            click.echo(f"{MARK[v.verdict]} {v.check}: {v.found}")
            if v.action:
                click.echo(f"      → {v.action}")
        click.echo({OK: "site healthy", WARN: "site works, with warnings", FAIL: "site has failures"}[overall])
    if overall == FAIL:
        raise SystemExit(1)


COMMANDS = [doctor_command]
