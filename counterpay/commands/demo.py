"""`counterpay demo`: broker, hub, case system, terminal, scanner and an enrolled agent, all at once.

    counterpay demo                          the counter UI (clerk mode) wired to a whole site
    counterpay demo --mode cashier           the cashier screen, which takes the scanner's codes
    counterpay demo --headless --payments 1000 [--json]    scripted payments, then the proof

Interactive: the site starts (every part a real process, see counterpay.site), what
runs where is printed (and written to DIR/demo-info.txt), and after Enter the agent UI
takes the terminal.  Quitting the UI (Ctrl-Q / Ctrl-C) or Ctrl-C / SIGTERM to this
command stops every part and leaves nothing running.  Without a terminal (CI, a pipe)
it says so and runs a short headless demo instead of waiting for a person.
Exit codes: 0 ok, 1 the headless proof failed, 2 the site could not start.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import click

NO_TTY_PAYMENTS = 12


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="where the site keeps its files (default: a temporary folder, removed at the end unless --keep)")
@click.option("--keep", is_flag=True, help="keep the site's folder (databases, logs, records) after stopping")
@click.option("--headless", is_flag=True,
              help="no UI: take scripted payments and print a summary (starts from an empty site: "
                   "an earlier demo in --dir is cleared)")
@click.option("--payments", "count", type=click.IntRange(1, 100_000), default=30, show_default=True,
              help="with --headless: how many payments (every kind is in the first ten)")
@click.option("--json", "as_json", is_flag=True, help="with --headless: the summary as JSON on stdout")
@click.option("--mode", type=click.Choice(["clerk", "cashier", "technician"]), default="clerk", show_default=True,
              help="the UI mode of the counter")
def demo(directory: str | None, keep: bool, headless: bool, count: int, as_json: bool, mode: str) -> None:
    """Run broker, hub, case-system, terminal and scanner simulators and an agent together."""
    workdir = Path(directory).resolve() if directory else Path(tempfile.mkdtemp(prefix="counterpay-demo-"))
    remove = directory is None and not keep
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)     # the terminal window closed: still stop every part
    try:
        if not headless and not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(f"no terminal (TTY) here, so no counter UI: running a short headless demo instead "
                       f"(counterpay demo --headless --payments {NO_TTY_PAYMENTS}).", err=True)
            headless, count = True, NO_TTY_PAYMENTS
        code = _headless(workdir, count, as_json) if headless else _interactive(workdir, mode)
    except KeyboardInterrupt:
        code = 130
    finally:
        if remove:
            shutil.rmtree(workdir, ignore_errors=True)
        elif keep or directory:
            try:
                click.echo(f"the site's files stay in {workdir}", err=True)
            except OSError:
                pass
    sys.exit(code)


def _headless(workdir: Path, count: int, as_json: bool) -> int:
    from counterpay import demo_headless
    say = (lambda text: click.echo(text, err=True)) if as_json else click.echo
    summary = demo_headless.run(workdir, count, say=say)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(demo_headless.render(summary))
    return 0 if summary.ok else 1


def _interactive(workdir: Path, mode: str) -> int:
    from counterpay.site import Site, SiteError, SitePlan
    # The desk needs a login: the site makes an operator for the mode (technician mode needs a technician).
    site = Site(workdir, SitePlan(office="demo-office",
                                  desk_operator="demo-tech" if mode == "technician" else "demo-clerk",
                                  desk_operator_role="technician" if mode == "technician" else "desk"))
    click.echo(f"starting broker, hub, case system, terminal and scanner simulators in {workdir} …")
    try:
        try:
            site.start()
        except SiteError as exc:
            click.echo(f"the demo site did not start: {exc}\nlogs: {site.logs}", err=True)
            return 2
        codes = _demo_orders(site)
        info = describe(site, mode, codes)
        (workdir / "demo-info.txt").write_text(info + "\n", encoding="utf-8")
        click.echo(info)
        click.echo("\nPress Enter to open the counter UI (quit it with Ctrl-Q; Ctrl-C here stops everything) ",
                   nl=False)
        sys.stdin.readline()
        ui = site.start_agent_ui(mode)
        try:
            ui.popen.wait()
        except KeyboardInterrupt:
            ui.stop(grace_s=5)
        finally:
            try:
                _restore_terminal()
            except OSError:
                pass
        return 0
    finally:
        _tell("stopping every part …")
        left = site.stop()
        _tell("stopped; nothing left running." if not left else
              f"still running: {', '.join(str(pid) for pid, _ in left)}")


def _tell(text: str) -> None:
    """Print, but never let a vanished terminal (closed window: EIO) stop the clean-up."""
    try:
        click.echo(text)
    except OSError:
        pass


def _restore_terminal() -> None:
    """A UI killed mid-screen can leave the terminal raw and in the alternate screen."""
    if sys.stdout.isatty():
        sys.stdout.write("\x1b[?1049l\x1b[?25h\x1b[0m")
        sys.stdout.flush()
        subprocess.run(["stty", "sane"], stdin=sys.stdin, check=False)


def _demo_orders(site) -> list[tuple[str, str]]:
    """Two real payment orders at the hub, so a scanned code links to its order and case."""
    from counterpay.demo_script import CREDITOR_FISCAL_CODE
    from protocol.qr import pagopa
    made = []
    for fmt, case, amount in (("pagopa", "DEMO-2026-0002", 1250), ("rf", "DEMO-2026-0003", 8000)):
        order = site.api_json("POST", "/api/v1/orders", json={"amount_minor": amount, "reference_format": fmt,
                                                               "case_ref": case, "description": "demo order"})
        payload = pagopa.make(order["reference"], CREDITOR_FISCAL_CODE, amount) if fmt == "pagopa" \
            else order["reference"]
        made.append((f"{fmt} order {order['order_id']} for {case}, {amount / 100:.2f} EUR", payload))
    return made


def describe(site, mode: str, codes: list[tuple[str, str]] = ()) -> str:
    from counterpay.site_files import DEMO_CASES
    hub_cfg = site.hub_config
    cases = ", ".join(ref for ref, *_ in DEMO_CASES)
    scans = [f"                   echo '{payload}' > {site.scanner_input}   # {what}" for what, payload in codes]
    return "\n".join([
        "",
        "counterpay demo: everything runs on this machine, as separate processes",
        "",
        f"  hub API          {site.api_url}   (docs: {site.api_url}/docs)",
        f"  admin token      {site.admin_token}",
        f"                   curl -H 'Authorization: Bearer {site.admin_token}' {site.api_url}/api/v1/payments",
        f"  back office      {site.api_url}/login   username admin, password {site.admin_password}",
        *([f"  desk login       username {site.desk_login[0]}, PIN {site.desk_login[1]}   (F12 logs out)"]
          if site.desk_login else []),
        f"  MQTT broker      mqtts://127.0.0.1:{site.broker_port}  (TLS, client certificates; {hub_cfg.parent}/broker)",
        f"  hub config       {hub_cfg}      log {site.log('hub')}",
        f"  case system sim  {site.case_url}/webhook   log {site.log('case-system')}",
        f"                   record {site.case_record_path}   (its cases: {cases})",
        f"  ZVT terminal sim {site.terminal_pty} (link {site.terminal_device})   log {site.log('terminal')}",
        f"                   ledger {site.ledger_path}   scenario {site.scenario_path}",
        f"  scanner sim      {site.scanner_pty} (link {site.scanner_device}); scan a code from another shell"
        + (":" if mode == "cashier" else " (the cashier screen takes scans: counterpay demo --mode cashier):"),
        *scans,
        f"  agent            {site.plan.agent_id}, config {site.agent_config}, database {site.agent_dir / 'agent.db'}",
        f"                   receipts {site.receipts_path}   log {site.agent_dir / 'agent.log'}",
        "",
        *(["Take a card payment (clerk mode): type a case number such as DEMO-2026-0001 and Enter, Enter on a",
           "fee row adds it, F2 goes to the tender, Enter on Card pays; the simulated terminal approves."]
          if mode == "clerk" else
          ["Take a payment (cashier mode): run one of the echo lines above in another shell, F5 charges,",
           "Enter on Card pays; the simulated terminal approves."] if mode == "cashier" else
          ["Technician mode: check the terminal and the scanner (F-keys at the bottom)."]),
        f"Within seconds the payment is in the hub ({site.api_url}/api/v1/payments with the token) and in",
        "the case system's log:",
        f"  tail -f {site.log('case-system')}",
        f"This text is also in {site.workdir / 'demo-info.txt'}.",
    ])
