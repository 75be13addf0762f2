"""The case-system simulator as a real process on a free loopback port, for hub and sim tests.

`stop()` / `start()` keep the port and the record file, so a hub retrying against the
same URL sees a case system that was really down (connection refused) and came back.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from protocol import webhooks
from tests.support.broker import free_port, wait_for_port


class CaseSystemSim:
    def __init__(self, workdir: Path, secrets: list[str] | None = None, cases_path: Path | None = None,
                 extra_args: list[str] | None = None, port: int | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.secrets = secrets or [webhooks.new_secret()]
        self.cases_path = cases_path
        self.extra_args = list(extra_args or [])
        self.record_path = self.workdir / "received.jsonl"
        self.log_path = self.workdir / "sim.log"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        return self.base_url + "/webhook"

    @property
    def lookup_url(self) -> str:
        return self.base_url + "/cases/{ref}"

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "counterpay", "sim", "case-system", "--port", str(self.port),
                "--record", str(self.record_path)]
        for secret in self.secrets:
            args += ["--secret", secret]
        if self.cases_path:
            args += ["--cases", str(self.cases_path)]
        return args + self.extra_args

    def start(self) -> "CaseSystemSim":
        if self.process and self.process.poll() is None:
            return self
        log = self.log_path.open("a")
        self.process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=log, text=True,
                                        start_new_session=True)
        first = self.process.stdout.readline()
        if not first.startswith("listening: "):
            self.stop()
            raise RuntimeError(f"case-system simulator did not start: {first!r} {self.log_path.read_text()}")
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def set_mode(self, **plan) -> dict:
        return httpx.post(self.base_url + "/admin/mode", json=plan, timeout=5).raise_for_status().json()

    def received(self) -> list[dict]:
        return httpx.get(self.base_url + "/admin/received", timeout=5).raise_for_status().json()["received"]

    def accepted(self) -> list[dict]:
        return [r for r in self.received() if r["verified"] and 200 <= r["answered"] < 300]
