"""A real mosquitto for tests: started on a free loopback port, stopped (or killed) on demand.

Tests that need the broker to go away and come back (offline agents, broker restarts)
call `stop()` / `start()`; the port and the persistence file stay the same, so clients
reconnect to the same address and retained/queued messages survive like in production.
Every configuration we write sets `set_tcp_nodelay true`: without it QoS 1 on loopback
is ~150x slower (measured, see the agent issue).
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from counterpay.site_process import free_port  # noqa: F401  (tests import it from here)
from tests.support.waiting import wait_until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _die_with_parent() -> None:
    """In the child: a test run killed outright (kill -9, a CI timeout) takes its brokers with it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except OSError:
        pass




def _port_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout_s: float = 10.0, host: str = "127.0.0.1") -> None:
    wait_until(lambda: _port_answers(port, host), timeout_s, f"something to listen on {host}:{port}")


class Mosquitto:
    """One mosquitto process with a plain loopback listener (or a config you give)."""

    def __init__(self, workdir: Path, port: int | None = None, config_text: str | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.config_path = self.workdir / "mosquitto.conf"
        self.log_path = self.workdir / "mosquitto.log"
        self.config_path.write_text(config_text or self.default_config())
        self.process: subprocess.Popen | None = None

    def default_config(self) -> str:
        # Started as root, mosquitto drops to the 'mosquitto' user, which cannot
        # write its persistence file in pytest's 0700 folders: stay who started it.
        user = [f"user {pwd.getpwuid(os.geteuid()).pw_name}"] if os.geteuid() == 0 else []
        return "\n".join([
            *user,
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "set_tcp_nodelay true",
            "persistence true",
            f"persistence_location {self.workdir}/",
            "max_queued_messages 100000",
            "max_inflight_messages 0",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "",
        ])

    def start(self) -> "Mosquitto":
        if self.process and self.process.poll() is None:
            return self
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config_path)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True, preexec_fn=_die_with_parent)
        try:
            wait_for_port(self.port)
        except TimeoutError:
            err = self.process.stderr.read().decode(errors="replace") if self.process.poll() is not None else ""
            self.stop()
            raise RuntimeError(f"mosquitto did not start: {err}") from None
        return self

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


def have_mosquitto() -> bool:
    return os.path.exists(MOSQUITTO)
