"""Broker commands mounted under `counterpay hub` (hub/cli.py mounts every command in COMMANDS).

    counterpay hub broker-config --config hub.toml [--out FILE]   write mosquitto.conf + ACL
    counterpay hub up --config hub.toml [--background]            start mosquitto with it (one that
                                                                  runs re-reads the rewritten ACL)
    counterpay hub down --config hub.toml                         stop the one `up --background` started
    counterpay hub worker-cert --config hub.toml --name NAME      a certificate for one more hub worker
    counterpay hub enrollment-token create|list|revoke …          (cli_admin.py)
    counterpay hub revoke-agent AGENT_ID --reason …               (cli_admin.py)

Exit codes: 0 done, 1 the broker did not come up, 2 a configuration problem.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click

from hub.config import BrokerSettings, ConfigError, Settings, load
from hub.pki.broker_config import BrokerPaths, write_broker_files
from hub.pki.ca import write_public
from hub.pki.revocation import reload_broker
from hub.pki.setup import issue_worker_cert

START_TIMEOUT_S = 15.0


def _settings(config: str) -> Settings:
    try:
        return load(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _write(settings: Settings, out: Path | None = None) -> Path:
    try:
        return write_broker_files(settings.broker, settings.data_dir, out)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


def _mosquitto() -> str:
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if not found:
        raise click.ClickException("mosquitto is not installed (Debian: apt-get install mosquitto)")
    return found


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _probe_host(broker: BrokerSettings) -> str:
    return "127.0.0.1" if broker.bind in ("0.0.0.0", "::", "") else broker.bind


def _running_pid(files: BrokerPaths) -> int | None:
    try:
        pid = int(files.pid.read_text().strip())
        if b"mosquitto" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    except (OSError, ValueError):
        pass
    return None


def _wait_until_up(process: subprocess.Popen, broker: BrokerSettings, files: BrokerPaths, timeout_s: float,
                   stopping: list[bool] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    host = _probe_host(broker)
    while time.monotonic() < deadline:
        if stopping:          # asked to stop while starting: not a failure
            return
        if process.poll() is not None:
            tail = files.log.read_text(errors="replace")[-1500:] if files.log.exists() else ""
            raise click.ClickException(f"mosquitto exited with code {process.returncode}; "
                                       f"its log ({files.log}) ends:\n{tail}")
        if port_answers(host, broker.port):
            return
        time.sleep(0.05)
    process.terminate()
    raise click.ClickException(f"mosquitto did not listen on {host}:{broker.port} within {timeout_s:.0f}s; "
                               f"see {files.log}")


@click.command("broker-config")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="where to write mosquitto.conf (default: <data_dir>/broker/mosquitto.conf)")
def broker_config(config: str, out: str | None) -> None:
    """Write the mosquitto configuration: TLS with client certificates, the per-agent ACL, persistence."""
    settings = _settings(config)
    broker, files = settings.broker, BrokerPaths.under(settings.data_dir)
    path = _write(settings, Path(out) if out else None)
    click.echo(f"wrote {path} and {files.acl} (TLS listener {broker.bind}:{broker.port})")


@click.command("up")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.option("--background", is_flag=True, help="start and return, writing <data_dir>/broker/mosquitto.pid")
@click.option("--timeout", "timeout_s", default=START_TIMEOUT_S, show_default=True, help="seconds to wait for the port")
def up(config: str, background: bool, timeout_s: float) -> None:
    """Start the broker with the generated configuration and wait until its port answers.

    The configuration and ACL are written each time; a broker that already runs re-reads them.
    """
    settings = _settings(config)
    broker, files = settings.broker, BrokerPaths.under(settings.data_dir)
    conf = _write(settings)
    running = _running_pid(files)
    if running:
        # The files were just rewritten: a site upgraded while its broker ran takes the new ACL now.
        reload_broker(files.pid)
        click.echo(f"the broker already runs (pid {running}) on port {broker.port}; it re-read {files.acl}")
        return
    command = [_mosquitto(), "-c", str(conf)]
    if background:
        stderr = os.open(files.root / "mosquitto.stderr", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(stderr, "ab") as err:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                       start_new_session=True)
        write_public(files.pid, f"{process.pid}\n".encode("ascii"))
        _wait_until_up(process, broker, files, timeout_s)
        click.echo(f"broker up on {broker.bind}:{broker.port} (pid {process.pid}, pid file {files.pid})")
        return
    process = subprocess.Popen(command)
    stopping: list[bool] = []

    def stop(*_args) -> None:
        stopping.append(True)
        process.terminate()

    # Installed before anything can fail or wait: a SIGTERM to us must stop mosquitto too,
    # never leave it running without its supervisor.
    signal.signal(signal.SIGTERM, stop)
    write_public(files.pid, f"{process.pid}\n".encode("ascii"))   # so a revocation can make it re-read the CRL
    try:
        _wait_until_up(process, broker, files, timeout_s, stopping)
        click.echo(f"broker up on {broker.bind}:{broker.port} (pid {process.pid}); Ctrl-C stops it", err=True)
        process.wait()
    except KeyboardInterrupt:
        stop()
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)
        files.pid.unlink(missing_ok=True)
    sys.exit(0 if stopping or process.returncode == 0 else 1)


@click.command("down")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
def down(config: str) -> None:
    """Stop the broker that `hub up --background` started."""
    files = BrokerPaths.under(_settings(config).data_dir)
    pid = _running_pid(files)
    if pid is None:
        click.echo("no broker started by `hub up` is running")
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(200):
        if not Path(f"/proc/{pid}").exists() or b"mosquitto" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            break
        time.sleep(0.05)
    files.pid.unlink(missing_ok=True)
    click.echo(f"broker stopped (pid {pid})")


@click.command("worker-cert")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False), help="the hub configuration (TOML)")
@click.option("--name", required=True, help="the worker's name: its certificate's CN is hub-NAME")
def worker_cert(config: str, name: str) -> None:
    """Issue a client certificate for one more hub worker and let it into the broker ACL.

    The broker takes a client's id from its certificate, so workers sharing one
    certificate would throw each other off: each needs its own.
    """
    settings = _settings(config)
    try:
        common_name, cert_path, key_path = issue_worker_cert(settings.data_dir, name)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    _write(settings)
    reloaded = reload_broker(BrokerPaths.under(settings.data_dir).pid)
    click.echo(f"worker {common_name}: certificate {cert_path}, key {key_path} (0600); broker ACL "
               + ("reloaded" if reloaded else "rewritten: reload the broker (SIGHUP) to apply it"))
    click.echo(f"run that worker with `counterpay hub serve --config {settings.config_path} --worker {name} "
               "--role ROLE`: it takes this certificate and the client id from the name, and the share_group "
               "of the one configuration", err=True)


def _admin_commands() -> list[click.Command]:
    from hub.pki.cli_admin import COMMANDS as ADMIN
    return list(ADMIN)


COMMANDS = [broker_config, up, down, worker_cert, *_admin_commands()]
