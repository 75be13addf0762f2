"""`counterpay sim case-system`: the technician's stand-in for a case system.

    counterpay sim case-system --port 8700 --secret whsec_… --cases cases.toml --record got.jsonl
    counterpay sim case-system --mode fail --status 503 --retry-after 30 --for 120

The first stdout line says where it listens (``listening: http://HOST:PORT``; port 0
picks a free one); the webhook URL is that plus ``/webhook`` and the lookup URL that
plus ``/cases/{ref}``.  The live log goes to stderr.  Change the fault mode while it
runs with ``POST /admin/mode`` (see `simulators.case_system.app`).
"""

from __future__ import annotations

import signal
import socket
import sys

import click

from protocol import webhooks


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


@click.command("case-system")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8700, show_default=True, help="0 picks a free port.")
@click.option("--secret", "secrets", multiple=True, metavar="whsec_…",
              help="Secret(s) to verify webhook signatures with (repeat during a rotation). "
                   "Without one a fresh secret is made and printed.")
@click.option("--cases", "cases_path", metavar="FILE", help="Cases to answer lookups from (TOML or JSON).")
@click.option("--record", "record_path", metavar="FILE", help="Append every request received as JSON lines.")
@click.option("--tolerance", type=float, default=webhooks.DEFAULT_TOLERANCE_S, show_default=True,
              help="Seconds a webhook-timestamp may differ from our clock.")
@click.option("--mode", type=click.Choice(["ok", "fail", "slow", "gone", "down"]), default="ok", show_default=True,
              help="Start in this fault mode.")
@click.option("--status", type=click.IntRange(400, 599), default=500, show_default=True, help="With --mode fail.")
@click.option("--delay", "delay_s", type=float, default=2.0, show_default=True, help="Seconds, with --mode slow.")
@click.option("--for", "for_s", type=float, help="The fault mode lasts this many seconds, then ok.")
@click.option("--count", type=int, help="The fault mode lasts for this many webhooks, then ok.")
@click.option("--retry-after", type=int, help="Send Retry-After: N with failure answers.")
def case_system(host, port, secrets, cases_path, record_path, tolerance, mode, status, delay_s, for_s, count,
                retry_after) -> None:
    """Simulate a case system: verify and record signed confirmations, answer lookups, fail on demand."""
    import uvicorn
    from pydantic import ValidationError

    from simulators.case_system.app import CaseSystemSim, create_app
    from simulators.case_system.cases import CasesFileError, load_cases
    from simulators.case_system.faults import FaultRequest, Faults
    from simulators.case_system.recorder import Recorder
    from simulators.sim_log import SimLog

    try:
        for secret in secrets:
            webhooks.secret_key(secret)
        cases = load_cases(cases_path) if cases_path else {}
        plan = FaultRequest(mode=mode, status=status, delay_s=delay_s, for_s=for_s, count=count,
                            retry_after=retry_after)
    except (webhooks.WebhookSecretError, CasesFileError) as exc:
        raise click.UsageError(str(exc)) from None
    except ValidationError as exc:
        raise click.UsageError("; ".join(f"--{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from None

    secret_list = list(secrets) or [webhooks.new_secret()]
    log = SimLog()
    faults = Faults()
    faults.set(plan)
    sim = CaseSystemSim(secrets=secret_list, cases=cases, recorder=Recorder(record_path), faults=faults,
                        log=log, tolerance_s=tolerance if tolerance > 0 else None)

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # Listen before saying so: connections made before uvicorn is up wait in the backlog.
    sock.listen(2048)
    bound_port = sock.getsockname()[1]
    click.echo(f"listening: http://{host}:{bound_port}", nl=True)
    if not secrets:
        click.echo(f"secret: {secret_list[0]}")
    sys.stdout.flush()
    log.note(f"case system simulator on http://{host}:{bound_port}  webhook /webhook  lookup /cases/{{ref}}  "
             f"{len(cases)} case(s)  mode {faults.describe()}"
             + (f"  recording to {record_path}" if record_path else ""))
    signal.signal(signal.SIGTERM, _stop)
    config = uvicorn.Config(create_app(sim), log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    log.note("stopped")
