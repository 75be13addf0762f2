"""Start `counterpay sim terminal --protocol concert --pty` as a real process for tests."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningSim:
    process: subprocess.Popen
    device: str
    ledger_path: Path
    log_path: Path

    def ledger(self) -> list[dict]:
        if not self.ledger_path.exists():
            return []
        return [json.loads(line) for line in self.ledger_path.read_text().splitlines() if line.strip()]

    def requests(self) -> list[dict]:
        return [r for r in self.ledger() if r["record"] == "request"]

    def charges(self) -> list[dict]:
        return [r for r in self.requests() if r["charged"]]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()


def start_sim(workdir: Path, scenario: str | None = None, scenario_text: str | None = None) -> RunningSim:
    """Start the simulator; `scenario` is a bundled name or file, `scenario_text` TOML to write."""
    workdir.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "counterpay", "sim", "terminal", "--protocol", "concert", "--pty",
            "--record", str(workdir / "ledger.jsonl"), "--log", str(workdir / "sim.log")]
    if scenario_text is not None:
        path = workdir / "scenario.toml"
        path.write_text(scenario_text, encoding="utf-8")
        args += ["--scenario", str(path)]
    elif scenario is not None:
        args += ["--scenario", scenario]
    stderr = open(workdir / "stderr.txt", "w", encoding="utf-8")
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr,
                               text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    stderr.close()  # the child holds its own copy
    deadline = time.monotonic() + 20
    line = ""
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline().strip()
            break
    if not line.startswith("device: "):
        process.kill()
        err = (workdir / "stderr.txt").read_text(encoding="utf-8")
        raise RuntimeError(f"simulator did not announce its device (got {line!r}); stderr: {err[-2000:]}")
    return RunningSim(process, line.split(": ", 1)[1], workdir / "ledger.jsonl", workdir / "sim.log")
