"""Run a simulated terminal on a pty, a real serial port, or a TCP port.

Each protocol module offers one function with the same signature,

    serve(link, scenario, ledger, log) -> None

which answers the cash register on `link` until the link is gone (`SimLinkClosed`),
consuming one scenario step per financial request and recording every one in the
ledger.  This module opens the medium, announces where to connect (first line on
stdout: `device: /dev/pts/5` or `device: tcp://127.0.0.1:20007`) and keeps serving:
a pty or serial port for ever, a TCP port one cash-register connection after another.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
from pathlib import Path
from typing import Callable

from simulators.terminal.ledger import Ledger
from simulators.terminal.scenario import Scenario
from simulators.terminal.sim_link import PtyLink, SerialSimLink, SimLinkClosed, TcpConnLink
from simulators.sim_log import SimLog

SERVERS = {
    "zvt": "simulators.terminal.zvt_sim:serve",
    "concert": "simulators.terminal.concert_sim:serve",
}

ServeFunction = Callable[[object, Scenario, Ledger, SimLog], None]


def server_for(protocol: str) -> ServeFunction:
    module_name, _, attribute = SERVERS[protocol].partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def announce(text: str) -> None:
    print(f"device: {text}", flush=True)


def _serve_forever(serve: ServeFunction, link, scenario: Scenario, ledger: Ledger,
                   log: SimLog) -> None:
    while True:
        try:
            serve(link, scenario, ledger, log)
        except SimLinkClosed as exc:
            log.note(f"link closed: {exc}")
            return
        log.note("serve returned; listening again")


def run_pty(protocol: str, scenario: Scenario, ledger: Ledger, log: SimLog, *,
            symlink: str | None = None, bytes_per_second: float | None = None) -> None:
    link = PtyLink()
    link.bytes_per_second = bytes_per_second
    if symlink:
        path = Path(symlink)
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(link.device)
    announce(link.device)
    log.note(f"{protocol} terminal on {link.device}" + (f" (also {symlink})" if symlink else "")
             + f", scenario {scenario.name}")
    try:
        _serve_forever(server_for(protocol), link, scenario, ledger, log)
    finally:
        link.close()
        if symlink and Path(symlink).is_symlink():
            os.unlink(symlink)


def run_serial(protocol: str, device: str, line: tuple[int, int, str, int], scenario: Scenario,
               ledger: Ledger, log: SimLog) -> None:
    link = SerialSimLink(device, *line)
    announce(device)
    log.note(f"{protocol} terminal on {link.description}, scenario {scenario.name}")
    try:
        _serve_forever(server_for(protocol), link, scenario, ledger, log)
    finally:
        link.close()


def run_tcp(protocol: str, host: str, port: int, scenario: Scenario, ledger: Ledger,
            log: SimLog) -> None:
    serve = server_for(protocol)
    listener = socket.create_server((host, port), reuse_port=False)
    bound_host, bound_port = listener.getsockname()[:2]
    announce(f"tcp://{bound_host}:{bound_port}")
    log.note(f"{protocol} terminal listening on tcp://{bound_host}:{bound_port}, "
             f"scenario {scenario.name}")
    try:
        while True:
            conn, peer = listener.accept()
            link = TcpConnLink(conn, f"{peer[0]}:{peer[1]}")
            log.note(f"cash register connected from {peer[0]}:{peer[1]}")
            try:
                serve(link, scenario, ledger, log)
            except SimLinkClosed as exc:
                log.note(f"connection ended: {exc}")
            except Exception as exc:  # one bad conversation must not stop the terminal
                log.note(f"error in conversation, dropping it: {exc!r}")
            finally:
                link.close()
    finally:
        listener.close()


def stdout_is_line_buffered() -> None:
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except AttributeError:
        pass
