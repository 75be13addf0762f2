"""`counterpay sim fleet`: N enrolled simulated agents sending payments to a hub at a rate."""

from __future__ import annotations

import json
import random
import resource
import sys
from pathlib import Path

import click
import httpx

from simulators.fleet import identity
from simulators.fleet.agent import FleetStats, SimulatedAgent
from simulators.fleet.runner import FleetRunner


@click.command("fleet")
@click.option("--hub", "hub_url", required=True, help="The hub's API base URL, e.g. http://127.0.0.1:8400")
@click.option("--admin-token", envvar="COUNTERPAY_ADMIN_TOKEN", required=True,
              help="An admin API token (or COUNTERPAY_ADMIN_TOKEN) to create enrollment tokens.")
@click.option("--agents", "count", type=click.IntRange(1, 5000), default=10, show_default=True)
@click.option("--rate", type=click.FloatRange(0, 100000), default=10.0, show_default=True,
              help="Payments per second across the whole fleet.")
@click.option("--duration", type=click.FloatRange(0.1, 86400), default=10.0, show_default=True, help="Seconds of sending.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("var/fleet"),
              show_default=True, help="Where the fleet keeps its agents' credentials (reused between runs).")
@click.option("--office", default="fleet-office", show_default=True)
@click.option("--prefix", default="fleet", show_default=True, help="Agent ids are PREFIX-0001 …")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--case-prefix", default="FLEET", show_default=True,
              help="Payments are for cases PREFIX-<agent>-<seq>; match it to a case system's pattern.")
@click.option("--cases-per-agent", type=click.IntRange(0, 10000), default=0, show_default=True,
              help="Each agent pays into this many cases, PREFIX-<agent>-c<n>, chosen at random (several "
                   "payments per case, whose confirmations must reach it in order); 0: a case per payment.")
@click.option("--sent-log", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one JSON line per payment sent (message id, wall-clock time), for latency checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def fleet(hub_url: str, admin_token: str, count: int, rate: float, duration: float, folder: Path,
          office: str, prefix: str, seed: int, case_prefix: str, cases_per_agent: int, sent_log: Path | None,
          as_json: bool) -> None:
    """Run COUNT simulated agents (own certificates, keys, terminals) against a hub."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count * 2 + 256), hard))
    rng = random.Random(seed)
    stats = FleetStats()
    agents: list[SimulatedAgent] = []
    try:
        with httpx.Client(base_url=hub_url, timeout=30) as client:
            for number in range(1, count + 1):
                agent_id = f"{prefix}-{number:04d}"
                ident = identity.enroll(client, admin_token, agent_id, office, folder / agent_id)
                cases = [f"{case_prefix}-{agent_id}-c{n}" for n in range(1, cases_per_agent + 1)]
                agents.append(SimulatedAgent(ident, office, stats, random.Random(rng.random()),
                                             references=cases, case_prefix=case_prefix))
    except httpx.HTTPStatusError as exc:
        raise click.UsageError(f"enrollment failed: {exc.response.status_code} {exc.response.text[:300]}") from None
    except httpx.HTTPError as exc:
        raise click.UsageError(f"cannot reach the hub at {hub_url}: {exc}") from None
    runner = FleetRunner(agents, stats)
    try:
        runner.connect_all()
        click.echo(f"{sum(a.connected for a in agents)}/{count} agents connected; sending {rate}/s for {duration}s",
                   err=True)
        summary = runner.run(rate, duration)
    finally:
        runner.close()
        if sent_log is not None:
            sent_log.write_text("".join(json.dumps({"event_id": mid, "sent_at": at}) + "\n"
                                        for mid, at in stats.sent_log))
    if as_json:
        click.echo(json.dumps(summary.to_json()))
    else:
        for name, value in summary.to_json().items():
            click.echo(f"{name:>16}: {value}")
    sys.exit(0 if summary.unacked == 0 and summary.rejected == 0 and summary.connected == count else 1)
