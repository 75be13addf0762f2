"""`counterpay sim terminal`: a simulated card terminal on a pty, serial port or TCP port.

    counterpay sim terminal --protocol zvt --pty
    counterpay sim terminal --protocol zvt --serial /dev/ttyUSB0 --scenario lose_answer
    counterpay sim terminal --protocol concert --tcp 127.0.0.1:0 --record ledger.jsonl

The first stdout line says where to connect (`device: …`); the live log goes to stderr
or --log FILE.  --scenario takes a file or the name of a bundled scenario.
"""

from __future__ import annotations

import signal
import sys

import click

from simulators.terminal.ledger import Ledger
from simulators.terminal.scenario import ScenarioError, bundled_scenarios, load_scenario
from simulators.sim_log import SimLog

DEFAULT_LINES = {"zvt": "8N2", "concert": "8N1"}


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def _resolve_scenario(value: str | None):
    if value is None:
        return load_scenario(None)
    bundled = bundled_scenarios()
    return load_scenario(bundled.get(value, value))


@click.command("terminal")
@click.option("--protocol", type=click.Choice(["zvt", "concert"]), required=True)
@click.option("--serial", "serial_device", metavar="DEVICE", help="Real serial device (null-modem to the cash register).")
@click.option("--pty", "use_pty", is_flag=True, help="Create a pseudo-terminal and print its path.")
@click.option("--tcp", "tcp_address", metavar="HOST:PORT", help="Listen on TCP (port 0: any free port).")
@click.option("--link", "symlink", metavar="PATH", help="With --pty: a stable symlink to the pty.")
@click.option("--scenario", metavar="FILE|NAME",
              help=f"Scenario file or bundled name ({', '.join(bundled_scenarios())}).")
@click.option("--record", "record_path", metavar="FILE", help="Ledger of every request, JSON lines.")
@click.option("--baud", type=int, default=9600, show_default=True, help="Serial baud rate.")
@click.option("--line", "line_format", metavar="8N2", help="Data bits, parity, stop bits (default per protocol).")
@click.option("--emulate-baud", is_flag=True, help="With --pty: send no faster than --baud would allow.")
@click.option("--log", "log_path", metavar="FILE", help="Write the live log here instead of stderr.")
def terminal(protocol, serial_device, use_pty, tcp_address, symlink, scenario, record_path,
             baud, line_format, emulate_baud, log_path) -> None:
    """Simulate a card terminal a cash register (or `counterpay terminal check`) can talk to."""
    from simulators.terminal import serve

    if sum(bool(x) for x in (serial_device, use_pty, tcp_address)) != 1:
        raise click.UsageError("give exactly one of --serial DEVICE, --pty, --tcp HOST:PORT")
    if symlink and not use_pty:
        raise click.UsageError("--link goes with --pty")
    try:
        loaded = _resolve_scenario(scenario)
    except ScenarioError as exc:
        raise click.UsageError(str(exc)) from None
    fmt = (line_format or DEFAULT_LINES[protocol]).upper()
    if len(fmt) != 3 or fmt[0] not in "78" or fmt[1] not in "NEO" or fmt[2] not in "12":
        raise click.UsageError(f"--line {fmt}: expected e.g. 8N2 or 7E1")
    bits_per_byte = 1 + int(fmt[0]) + (fmt[1] != "N") + int(fmt[2])
    log = SimLog(open(log_path, "a", encoding="utf-8", buffering=1) if log_path else sys.stderr)
    ledger = Ledger(record_path)
    serve.stdout_is_line_buffered()
    # SIGTERM ends the simulator the same way Ctrl-C does (the ledger is already on disk).
    signal.signal(signal.SIGTERM, _stop)
    try:
        if use_pty:
            serve.run_pty(protocol, loaded, ledger, log, symlink=symlink,
                          bytes_per_second=baud / bits_per_byte if emulate_baud else None)
        elif serial_device:
            serve.run_serial(protocol, serial_device, (baud, int(fmt[0]), fmt[1], int(fmt[2])),
                             loaded, ledger, log)
        else:
            host, sep, port = tcp_address.rpartition(":")
            if not sep or not port.isdigit():
                raise click.UsageError("--tcp HOST:PORT, e.g. 127.0.0.1:20007")
            serve.run_tcp(protocol, host or "127.0.0.1", int(port), loaded, ledger, log)
    except KeyboardInterrupt:
        log.note("stopped")
    except OSError as exc:
        click.echo(f"counterpay sim terminal: {exc}", err=True)
        raise SystemExit(2) from None
